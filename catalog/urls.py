"""URL routes: pages under the `catalog` namespace, the JSON API, admin and health."""

from django.contrib import admin
from django.urls import include, path

from catalog import relations_graph, views
from catalog.api import views as api
from catalog.verifications import layer_files
from catalog.verifications import views as verification_views

catalog_patterns = [
    path("", views.home, name="home"),
    path("patterns/<slug:slug>/", views.pattern_detail, name="pattern-detail"),
    path(
        "patterns/<slug:slug>/examples/<slug:example>.tar.gz",
        views.example_archive,
        name="example-archive",
    ),
    path(
        "patterns/<slug:slug>/examples/<slug:example>/verify",
        verification_views.verify_example,
        name="verify-example",
    ),
    path("patterns/<slug:slug>/badge.svg", verification_views.pattern_badge, name="pattern-badge"),
    path("verifications/<int:pk>.json", verification_views.verification_log, name="verification-log"),
    path(
        "verifications/<int:pk>/images/<slug:image>/layers/<int:layer>/files",
        layer_files.layer_files,
        name="layer-files",
    ),
    path("csrf-token.json", verification_views.csrf_token, name="csrf-token"),
    path("status/", verification_views.status, name="status"),
    path("search/", views.search, name="search"),
    path("relations/", relations_graph.relations, name="relations"),
    path("categories.css", views.category_styles, name="category-styles"),
    path("api/", api.api_page, name="api"),
    path("api/v1/patterns.json", api.pattern_list, name="api-v1-pattern-list"),
    path("api/v1/patterns/<slug:slug>.json", api.pattern_detail, name="api-v1-pattern-detail"),
    path(
        "api/v1/verifications/<int:pk>/images/<slug:image>/layers/<int:layer>/files.json",
        api.layer_files,
        name="api-v1-layer-files",
    ),
    path("api/v1/openapi.json", api.openapi, name="api-v1-openapi"),
    # The paths from before /api/v1/, answering the same for the clients written against them.
    path("api/patterns.json", api.pattern_list, name="api-pattern-list"),
    path("api/patterns/<slug:slug>.json", api.pattern_detail, name="api-pattern-detail"),
]

urlpatterns = [
    path("", include((catalog_patterns, "catalog"))),
    path("workshops/", include("catalog.workshops.urls")),
    path("", include("catalog.workshops.trainer_urls")),
    path("accounts/", include("catalog.accounts.urls")),
    path("contribute/", include("catalog.submissions.urls")),
    path("review/", include("catalog.submissions.review_urls")),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
