"""Every page family passes axe-core's WCAG 2.0/2.1 A and AA rules in Chromium: light, dark, desktop, phone.

axe-core comes from npm (package.json; `make test` runs `npm ci`), read from node_modules and put
into each page by Chromium itself before the page's own scripts: no CDN, and the page's
Content-Security-Policy stays on. Every <details> is opened first, so what hides there is looked at too.
Run alone: see the README's "Accessibility audit".
"""

from pathlib import Path

import pytest

from tests.browser_site import DESKTOP, PHONE, chromium
from tests.conftest import require
from tests.site_pages import PAGES

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VARIANTS = {
    "light": ("light", DESKTOP),
    "dark": ("dark", DESKTOP),
    "phone-light": ("light", PHONE),
    "phone-dark": ("dark", PHONE),
}
AUDIT = """async (tags) => {
  const options = {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]};
  const results = await axe.run(document, options);
  return results.violations.map(rule => ({
    id: rule.id,
    impact: rule.impact,
    help: rule.help,
    targets: rule.nodes.map(node => node.target.join(" ")),
  }));
}"""
OPEN_EVERY_DETAILS = "document.querySelectorAll('details').forEach(details => { details.open = true; })"


@pytest.fixture(scope="module")
def tab(site_pages, chromium_path):
    """A tab per variant and role, each in a context of its own (its cookies), reused page after page."""
    require("axe-core", AXE.is_file(), f"no {AXE}: npm ci (make test runs it)")
    with chromium(chromium_path) as browser:
        opened = {}

        def open_tab(variant: str, user: str):
            if (variant, user) not in opened:
                scheme, viewport = VARIANTS[variant]
                context = browser.new_context(viewport=viewport, color_scheme=scheme, reduced_motion="reduce")
                context.add_init_script(path=str(AXE))  # by Chromium: the page's CSP does not apply
                context.add_cookies(site_pages.cookies(user))
                opened[variant, user] = context.new_page()
            return opened[variant, user]

        yield open_tab


def audit(page, site_pages, name: str, variant: str) -> list[str]:
    """One line per violated rule: the rule, the page and variant, the elements."""
    spec = PAGES[name]
    url = site_pages.url_of(spec)
    response = page.goto(url)
    assert response.status == spec.status, f"{url} answered {response.status}"
    page.evaluate(OPEN_EVERY_DETAILS)
    if spec.prepare:
        spec.prepare(page)
        page.evaluate(OPEN_EVERY_DETAILS)
    found = page.evaluate(AUDIT, WCAG_A_AA)
    shown = page.url.removeprefix(site_pages.url)
    return [
        f"{rule['id']} ({rule['impact']}) on {shown} [{name}, {variant}]: {rule['help']}; "
        f"elements: {', '.join(rule['targets'][:8])}{' ...' if len(rule['targets']) > 8 else ''}"
        for rule in found
    ]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", PAGES)
def test_the_page_has_no_wcag_a_or_aa_violation(tab, site_pages, name, variant):
    violations = audit(tab(variant, PAGES[name].user), site_pages, name, variant)
    assert not violations, "\n".join(["", *violations])
