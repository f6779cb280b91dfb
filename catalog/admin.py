"""Admin for every catalog model; content comes from patterns/, so the next sync overwrites edits."""

from django.contrib import admin

from catalog.models import Category, Example, ExampleFile, Pattern, PatternCategory, PatternRelation


class PatternCategoryInline(admin.TabularInline):
    model = PatternCategory
    extra = 0


class RelationInline(admin.TabularInline):
    model = PatternRelation
    fk_name = "source"
    extra = 0
    autocomplete_fields = ["target"]


class ExampleInline(admin.TabularInline):
    model = Example
    fields = ["slug", "title", "content_hash"]
    readonly_fields = ["content_hash"]
    extra = 0
    show_change_link = True


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "colour", "position"]


@admin.register(Pattern)
class PatternAdmin(admin.ModelAdmin):
    list_display = ["symbol", "name", "kind", "published", "updated_at"]
    list_filter = ["kind", "published", "categories"]
    search_fields = ["name", "slug", "symbol", "summary"]
    readonly_fields = ["body_html", "toc_html", "content_hash", "created_at", "updated_at"]
    inlines = [PatternCategoryInline, RelationInline, ExampleInline]


class ExampleFileInline(admin.StackedInline):
    model = ExampleFile
    fields = ["path", "language", "executable", "content"]
    extra = 0


@admin.register(Example)
class ExampleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "title", "content_hash"]
    search_fields = ["slug", "title", "pattern__name"]
    list_select_related = ["pattern"]
    inlines = [ExampleFileInline]


@admin.register(PatternRelation)
class PatternRelationAdmin(admin.ModelAdmin):
    list_display = ["source", "relation", "target"]
    list_select_related = ["source", "target"]
    list_filter = ["relation"]


@admin.register(ExampleFile)
class ExampleFileAdmin(admin.ModelAdmin):
    list_display = ["path", "example", "language"]
    list_select_related = ["example__pattern"]
