"""Routes of the reviewers' pages, under /review/ and the `review` namespace (staff only)."""

from django.urls import path

from catalog.submissions import review_views

app_name = "review"
urlpatterns = [
    path("", review_views.queue, name="queue"),
    path("<int:pk>/", review_views.detail, name="detail"),
    path("<int:pk>/patch", review_views.patch, name="patch"),
]
