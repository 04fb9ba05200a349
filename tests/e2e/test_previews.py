"""POST /api/v1/previews: the compose screen's Markdown preview, rendered by the posts service with
the renderer published posts use, and the kinds of confidential data that would hold the text."""
from __future__ import annotations

from .steps import ok, problem


def test_preview_renders_the_published_markdown_and_names_confidential_kinds(api):
    member = api.new_user()
    body = "**Bonjour** <b>x</b>\n\n- un\n- deux\n\nMon IBAN : FR76 3000 6000 0112 3456 7890 189"
    preview = ok(api.post("/api/v1/previews", user=member, json={"body": body}))
    assert preview["body_html"].startswith(
        "<p><strong>Bonjour</strong> &lt;b&gt;x&lt;/b&gt;</p><ul><li>un</li><li>deux</li></ul>")
    assert preview["confidential"] == ["iban"]
    # the value itself never comes back in anything but the author's own rendered text
    clean = ok(api.post("/api/v1/previews", user=member, json={"body": "Merci *beaucoup*"}))
    assert clean == {"body_html": "<p>Merci <em>beaucoup</em></p>", "confidential": []}


def test_preview_needs_a_member_and_a_body(api):
    assert problem(api.post("/api/v1/previews", json={"body": "x"}), 401)
    member = api.new_user()
    errors = problem(api.post("/api/v1/previews", user=member, json={}), 400)
    assert "body" in errors["errors"]
    too_long = problem(api.post("/api/v1/previews", user=member, json={"body": "x" * 20001}), 400)
    assert "body" in too_long["errors"]
