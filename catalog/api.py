"""Read-only JSON of the catalog: the list of patterns, and one pattern with its example files."""

from django.http import JsonResponse

from catalog.models import Pattern
from catalog.serving.page_cache import page_cached
from catalog.verifications.latest import attach_verifications, verification_json
from catalog.views import published_pattern


def pattern_summary(request, pattern: Pattern) -> dict:
    return {
        "slug": pattern.slug,
        "name": pattern.name,
        "symbol": pattern.symbol,
        "kind": pattern.kind,
        "categories": [category.slug for category in pattern.ordered_categories],
        "summary": pattern.summary,
        "url": request.build_absolute_uri(pattern.get_absolute_url()),
        "api_url": request.build_absolute_uri(f"/api/patterns/{pattern.slug}.json"),
    }


@page_cached
def pattern_list(request):
    patterns = Pattern.objects.for_table()
    return JsonResponse({"patterns": [pattern_summary(request, p) for p in patterns]})


@page_cached
def pattern_detail(request, slug):
    pattern = published_pattern(slug)
    data = pattern_summary(request, pattern)
    data["body_markdown"] = pattern.body_markdown
    data["sources"] = pattern.sources
    data["related"] = [
        {"pattern": r.target.slug, "relation": r.relation} for r in pattern.relations_out.all()
    ] + [{"pattern": r.source.slug, "relation": f"inverse:{r.relation}"} for r in pattern.relations_in.all()]
    examples = list(pattern.examples.all())
    attach_verifications(examples)
    data["examples"] = [
        {
            "slug": example.slug,
            "title": example.title,
            "summary": example.summary,
            "content_hash": example.content_hash,
            "host_access": example.host_access,
            "scenario": example.scenario,
            "archive_url": request.build_absolute_uri(example.get_archive_url()),
            "files": [
                {
                    "path": f.path,
                    "language": f.language,
                    "executable": f.executable,
                    "content": f.content,
                }
                for f in example.files.all()
            ],
            # The newest run (maybe still queued or running), and the newest finished one.
            "verification": verification_json(example.verification, example, request.build_absolute_uri),
            "last_result": verification_json(example.last_result, example, request.build_absolute_uri),
        }
        for example in examples
    ]
    return JsonResponse(data)
