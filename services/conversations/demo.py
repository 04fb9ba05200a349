"""Demo private conversations for LOCAL use (`agora seed-demo` calls `seed(api)` once the accounts
exist and the other services have seeded their content).

member1 talks with their advisor (advisor1), member3 (no advisor) waits in the staff queue, and a
social mention from member2 becomes a case for advisor1 when a demo service credential is set
(`AGORA_DEMO_SERVICE_KEY=name:secret`, matching the gateway's AGORA_SERVICE_CREDENTIALS).
Re-running it changes nothing: every write carries an Idempotency-Key, mentions are deduplicated
by their external id.
"""
from __future__ import annotations

import os

MEMBER = "member1@demo.agora"
UNADVISED = "member3@demo.agora"
ADVISOR = "advisor1@demo.agora"
SUBJECT = "Plafond de carte pendant un voyage"  # member1's conversation with their advisor


def seed(api) -> None:
    # French, as the site's readers are first; keys of their own for this French content: a
    # store seeded before with the English one gets it beside (a key reused with another body
    # would be refused, 422)
    conversation = api.post(
        "/api/v1/conversations", as_=MEMBER, expect=(201,),
        headers={"Idempotency-Key": "demo-conversation-fr-1"},
        json={"subject": SUBJECT,
              "message": "Bonjour, je pars au Canada la semaine prochaine : pouvez-vous "
                         "relever le plafond de ma carte pendant un mois ?"})
    # 404 if identity's advisor assignment had not reached conversations yet (staff queue)
    api.post(f"/api/v1/conversations/{conversation['id']}/messages", as_=ADVISOR,
             expect=(201, 404), headers={"Idempotency-Key": "demo-conversation-fr-1-answer"},
             json={"body": "C'est fait : votre plafond est relevé jusqu'à la fin du mois "
                           "prochain. Bon voyage !"})
    api.post("/api/v1/conversations", as_=UNADVISED, expect=(201,),
             headers={"Idempotency-Key": "demo-conversation-fr-2"},
             json={"subject": "Ouverture d'un compte",
                   "message": "Quels documents faut-il pour ouvrir un compte ?"})
    service_key = os.environ.get("AGORA_DEMO_SERVICE_KEY")
    if service_key:
        api.post("/api/v1/channels/social/mentions", expect=(201,),
                 headers={"X-Agora-Service-Key": service_key},
                 json={"channel": "twitter", "external_id": "demo-mention-1",
                       "handle": "@karim_b", "member_id": api.user_id("member2@demo.agora"),
                       "text": "@AgoraBanque ma carte a été avalée par le distributeur à "
                               "Opéra, à l'aide !"})
