"""Routes of a trainer's tools, under the `trainer` namespace: the builder at /my/workshops/, and for every
workshop one may open, its handout, its file and its readiness checks."""

from django.urls import path

from catalog.workshops import (
    builder_views,
    check_views,
    cut_views,
    handout,
    item_views,
    part_views,
    preflight_views,
    transfer_views,
)

app_name = "trainer"
urlpatterns = [
    path("my/workshops/", builder_views.my_workshops, name="list"),
    path("my/workshops/new/", builder_views.new_workshop, name="new"),
    path("my/workshops/import/", transfer_views.import_workshop, name="import"),
    path("my/workshops/copy/<slug:slug>/", transfer_views.copy_workshop, name="copy"),
    path("my/workshops/<slug:slug>/", builder_views.edit_workshop, name="edit"),
    path("my/workshops/<slug:slug>/delete/", builder_views.delete_workshop, name="delete"),
    path("my/workshops/<slug:slug>/parts/new/", part_views.add_part, name="add-part"),
    path("my/workshops/<slug:slug>/parts/<int:pk>/", part_views.rename_part, name="rename-part"),
    path("my/workshops/<slug:slug>/parts/<int:pk>/move/", part_views.move_part, name="move-part"),
    path("my/workshops/<slug:slug>/parts/<int:pk>/remove/", part_views.remove_part, name="remove-part"),
    path("my/workshops/<slug:slug>/items/new/", item_views.add_item, name="add-item"),
    path("my/workshops/<slug:slug>/items/<int:pk>/", item_views.edit_item, name="edit-item"),
    path("my/workshops/<slug:slug>/items/<int:pk>/move/", item_views.move_item, name="move-item"),
    path("my/workshops/<slug:slug>/items/<int:pk>/remove/", item_views.remove_item, name="remove-item"),
    path("my/workshops/<slug:slug>/cuts/new/", cut_views.add_cut, name="add-cut"),
    path("my/workshops/<slug:slug>/cuts/<int:pk>/remove/", cut_views.remove_cut, name="remove-cut"),
    path("workshops/<slug:slug>/handout/", handout.workshop_handout, name="handout"),
    path("workshops/<slug:slug>.yaml", transfer_views.export_workshop, name="export"),
    # The trainer's pre-flight on the catalog's engine, and the freeze for the event (preflight_views.py).
    path("workshops/<slug:slug>/check-now/", preflight_views.check_now, name="preflight"),
    path("workshops/<slug:slug>/check-now/progress/", preflight_views.progress, name="preflight-progress"),
    path("workshops/<slug:slug>/freeze/", preflight_views.freeze, name="freeze"),
    path("workshops/<slug:slug>/unfreeze/", preflight_views.unfreeze, name="unfreeze"),
    # Readiness checks of attendees' machines (the join link itself is in workshops/urls.py).
    path("workshops/<slug:slug>/readiness-check/", check_views.open_check, name="check-open"),
    path("my/readiness-checks/<int:pk>/", check_views.dashboard, name="check-dashboard"),
    path("my/readiness-checks/<int:pk>/machines", check_views.machines, name="check-machines"),
    path("my/readiness-checks/<int:pk>/close", check_views.close, name="check-close"),
]
