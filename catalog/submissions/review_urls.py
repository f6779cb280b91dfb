"""Routes of the reviewers' pages, under /review/ and the `review` namespace (staff only)."""

app_name = "review"
urlpatterns: list = []
