"""Routes of the workshop pages, under the `workshops` namespace."""

from django.urls import path

from catalog.workshops import join_views, kit_views, present_views, views

app_name = "workshops"
urlpatterns = [
    path("", views.workshop_list, name="list"),
    path("<slug:slug>/", views.workshop_detail, name="detail"),
    # The offline kit: its page (POST builds it, trainers only) and the ready archive.
    path("<slug:slug>/kit/", kit_views.kit_page, name="kit"),
    path("<slug:slug>/kit/download", kit_views.download_kit, name="kit-download"),
    # Slides and presenting live (catalog/workshops/present_views.py); tokens are URL-safe, like slugs.
    path("<slug:slug>/slides/", present_views.slides, name="slides"),
    path("<slug:slug>/present/", present_views.start, name="present"),
    path("present/<slug:token>/", present_views.presenter, name="presenter"),
    path("present/<slug:token>/position", present_views.move, name="move"),
    path("present/<slug:token>/end", present_views.end, name="end"),
    path("follow/<slug:token>/", present_views.follow, name="follow"),
    path("follow/<slug:token>/position.json", present_views.position, name="position"),
    # A readiness check's join link: attendees' check.sh posts its report here (join_views.py).
    path("check/<slug:token>/", join_views.join, name="check-join"),
]
