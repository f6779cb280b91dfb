"""`{{ file|lint_marked:example }}`: an example file's highlighted HTML with its lint findings."""

from django import template

from catalog.verifications.lint_marks import mark_lines

register = template.Library()


@register.filter
def lint_marked(file, example):
    marks = (getattr(example, "lint_marks", None) or {}).get(file.path, {})
    return mark_lines(file.highlighted_html, marks)
