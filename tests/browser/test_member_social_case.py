"""A social-media case on its member's own pages: the intake stores the subject in French with
the network's code (« Mention sur les réseaux sociaux (twitter) »); the member's list and
conversation page said it so, in English too, where the console already said « Mention sur
Twitter » / "Twitter mention" (gateway/web/social_cases.py, one function for both); and nothing
told the member why their public mention was in their private messages."""
from __future__ import annotations

import uuid

from .test_console_social_case import mention


def note(site) -> str:
    return site.text_of("#social-case-note").replace("\u202f", " ")


def test_a_member_reads_their_social_case_named_by_its_network_in_their_language(
        site, platform, advisor_and_customer):
    _, member = advisor_and_customer
    said = f"@MaBanque mon virement n'est jamais arrivé {uuid.uuid4().hex[:6]}"
    case = mention(platform, "twitter", said, member_id=member.id)
    page = f"/conversations/{case['conversation_id']}"
    row = f"#conversation-list a[href='{page}']"
    site.sign_in(member.email, member.password, next_path="/conversations")
    site.wait_for_path("/conversations")
    assert site.text_of(row) == "Mention sur Twitter"
    site.visit(page)
    assert site.heading("Mention sur Twitter", 1)
    assert site.driver.title.startswith("Mention sur Twitter")
    assert said in site.text()
    # why their public mention is here, and that the answer stays private
    assert note(site) == ("La banque a vu votre message sur Twitter et vous répond ici, "
                          "en privé : rien n’est publié sur Twitter.")
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("member-social-case-fr")

    site.visit(f"/lang/en?next={page}")
    site.wait_for(lambda: site.heading("Twitter mention", 1), "the English subject")
    assert site.driver.title.startswith("Twitter mention")
    assert "réseaux sociaux" not in site.text()
    assert note(site) == ("The bank saw your message on Twitter and answers you here, "
                          "privately: nothing is posted on Twitter.")
    site.screenshot("member-social-case-en")
    site.visit("/conversations")
    assert site.text_of(row) == "Twitter mention"
    site.screenshot("member-social-list-en")
