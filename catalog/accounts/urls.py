"""Routes of the account pages, under the `accounts` namespace."""

from django.contrib.auth import views as auth_views
from django.urls import path

from catalog.accounts import views

app_name = "accounts"
urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("login/", views.ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
