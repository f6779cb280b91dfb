"""Routes of the workshop pages, under the `workshops` namespace."""

from django.urls import path

from catalog.workshops import views

app_name = "workshops"
urlpatterns = [
    path("", views.workshop_list, name="list"),
    path("<slug:slug>/", views.workshop_detail, name="detail"),
]
