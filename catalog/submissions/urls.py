"""Routes of the contributor's pages, under /contribute/ and the `submissions` namespace."""

from django.urls import path

from catalog.submissions import views

app_name = "submissions"
urlpatterns = [
    path("", views.start, name="start"),
    path("mine/", views.mine, name="mine"),
    path("<int:pk>/", views.edit, name="edit"),
    path("<int:pk>/files/", views.save_file, name="save-file"),
    path("<int:pk>/files/delete/", views.delete_file, name="delete-file"),
    path("<int:pk>/upload/", views.upload, name="upload"),
    path("<int:pk>/check/", views.check_again, name="check"),
    path("<int:pk>/submit/", views.submit_draft, name="submit"),
    path("<int:pk>/reply/", views.reply, name="reply"),
    path("<int:pk>/runs/<int:run>/log", views.run_log, name="run-log"),
]
