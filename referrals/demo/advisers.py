"""The shared register of external advisers, and referrals to them with the sender's
follow-up and the uptake answers."""

import datetime

from crm.demo.identifiers import ascii_slug
from referrals.demo.drafts import Draft, Setting, new_draft, pick, sent_at
from referrals.models import Adviser, Referral

State, Uptake, Kind = Referral.State, Referral.Uptake, Adviser.Kind

# fmt: off
# name, kind, contact person, themes it is chosen for, municipality codes (empty: everywhere).
ADVISERS = [
    ("Revisionshuset Midt ApS", Kind.PRIVATE, "Jette Mikkelsen", ["financing", "ownership"], []),
    ("Advokatfirmaet Bach & Holm", Kind.PRIVATE, "Søren Bach", ["ownership", "management"], []),
    ("Eksportrådgiverne ApS", Kind.PRIVATE, "Anders Kjær", ["export"], []),
    ("Digital Vækst Rådgivning", Kind.PRIVATE, "Line Damgaard", ["digital"], []),
    ("HR-Partner Midt", Kind.PRIVATE, "Pia Thomsen", ["workforce", "management"], []),
    ("Grøn Omstilling Rådgivning ApS", Kind.PRIVATE, "Mads Nørgaard", ["green"], []),
    ("Bestyrelsesnetværket Midt", Kind.PRIVATE, "Henrik Lund", ["management"], []),
    ("Teknologisk Institut", Kind.KNOWLEDGE, "Camilla Holm", ["digital", "green"], []),
    ("Aarhus Universitet, Erhvervssamarbejde", Kind.KNOWLEDGE, "Peter Friis",
     ["digital", "green", "other"], []),
    ("VIA University College", Kind.KNOWLEDGE, "Anne Krogh", ["workforce", "design"], []),
    ("Energy Cluster Denmark", Kind.CLUSTER, "Jonas Vestergaard", ["green"], []),
    ("Food & Bio Cluster Denmark", Kind.CLUSTER, "Maria Bisgaard", ["green", "export"], []),
    ("Digital Lead", Kind.CLUSTER, "Rasmus Hviid", ["digital"], []),
    ("Dansk Design Center", Kind.DESIGN, "Sofie Juhl", ["design"], []),
    ("EIFO - Danmarks Eksport- og Investeringsfond", Kind.FUNDING, "Karsten Riis",
     ["financing", "export"], []),
    ("LAG Viborg", Kind.FUNDING, "Birgitte Hald", ["financing", "start_up", "other"], ["791"]),
    ("LAG Randers", Kind.FUNDING, "Ole Pallesen", ["financing", "start_up", "other"], ["730"]),
    ("LAG Djursland", Kind.FUNDING, "Hanne Fogh", ["financing", "start_up", "other"],
     ["706", "707"]),
    ("LAG Skive", Kind.FUNDING, "Niels Borup", ["financing", "start_up", "other"], ["779"]),
    ("LAG Ringkøbing-Skjern", Kind.FUNDING, "Tina Vinther", ["financing", "start_up", "other"],
     ["760"]),
]
# Closed since: referrals to it are all older than half a year.
INACTIVE_ADVISER = ("Fjordland Rådgivning ApS", Kind.PRIVATE, "Erik Ebbesen", ["other"], [])
# Adviser kinds by how often the local services refer to them.
KIND_WEIGHTS = {Kind.PRIVATE: 45, Kind.KNOWLEDGE: 15, Kind.CLUSTER: 10, Kind.DESIGN: 8,
                Kind.FUNDING: 22}
# Uptake answers (used, expects, not used, don't know) once the company was in touch, and not.
UPTAKES = [Uptake.USED, Uptake.EXPECTS, Uptake.NOT_USED, Uptake.UNKNOWN]
UPTAKE_IN_TOUCH, UPTAKE_NOT_IN_TOUCH = [48, 14, 24, 14], [8, 10, 62, 20]
ADVISER_CLOSING = "ekstern rådgiver formidlet"
# fmt: on


def seed_advisers() -> list[Adviser]:
    """The shared adviser register (created or completed; never changed)."""
    advisers = []
    for name, kind, contact, _themes, _codes in [*ADVISERS, INACTIVE_ADVISER]:
        adviser, _ = Adviser.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "contact": contact,
                "email": f"{ascii_slug(contact)}@{ascii_slug(name)[:24]}.demo.knudepunkt.dk",
                "active": name != INACTIVE_ADVISER[0],
            },
        )
        advisers.append(adviser)
    return advisers


def adviser_weight(session: dict) -> float:
    weight = 1.0 if session["company_id"] else 0.5
    return weight * (6 if ADVISER_CLOSING in session["content"] else 1)


def adviser_for(setting: Setting, session: dict, at, register: dict) -> tuple[Adviser, list]:
    """An adviser of ``register`` (name -> adviser), of a likely kind, that fits the session's
    themes and municipality."""
    rng, code = setting.rng, session["municipality__code"]
    recent = at > setting.now - datetime.timedelta(days=182)
    specs = [
        spec
        for spec in [*ADVISERS, *([] if recent else [INACTIVE_ADVISER])]
        if spec[0] in register and (not spec[4] or code in spec[4])
    ]
    fitting = [s for s in specs if set(s[3]) & set(session["themes"])] or specs
    kinds = [s[1] for s in fitting]
    spec = rng.choices(fitting, [KIND_WEIGHTS[k] / kinds.count(k) for k in kinds])[0]
    themes = [t for t in session["themes"] if t in spec[3]] or spec[3][:1]
    return register[spec[0]], themes


def adviser_drafts(setting: Setting, sessions, count: int, advisers: list[Adviser]) -> list:
    register = {a.name: a for a in advisers}
    drafts = []
    for session in pick(setting, sessions, count, adviser_weight):
        at = sent_at(setting, session)
        adviser, themes = adviser_for(setting, session, at, register)
        draft = new_draft(setting, session, at, target_adviser_id=adviser.pk, themes=themes)
        adviser_story(setting, draft)
        drafts.append(draft)
    return drafts


def adviser_story(setting: Setting, draft: Draft) -> None:
    """The sender follows up: contacted, completed, or withdrawn; and, after a month, about
    three in five have an uptake answer (from the consultant or the national evaluation)."""
    rng, referral, now = setting.rng, draft.referral, setting.now
    sender = referral.sent_by_id
    if rng.random() < 0.05:
        at = referral.sent_at + datetime.timedelta(days=rng.randint(1, 5))
        if at <= now:
            draft.move(State.WITHDRAWN, sender, at)
            return
    contact = setting.moment(
        (referral.sent_at + datetime.timedelta(days=rng.randint(1, 14))).date()
    )
    if contact <= now and rng.random() < 0.85:
        referral.contacted_at = contact
        draft.move(State.CONTACTED, sender, contact)
    done = contact + datetime.timedelta(days=rng.randint(14, 90))
    if done <= now and rng.random() < 0.8:
        draft.move(State.COMPLETED, sender, done)
    record_uptake(setting, draft)


def record_uptake(setting: Setting, draft: Draft) -> None:
    rng, referral = setting.rng, draft.referral
    if referral.sent_at > setting.now - datetime.timedelta(days=30) or rng.random() > 0.6:
        return
    weights = UPTAKE_NOT_IN_TOUCH if referral.state == State.SENT else UPTAKE_IN_TOUCH
    referral.uptake = rng.choices(UPTAKES, weights)[0]
    evaluation = rng.random() < 0.3
    referral.uptake_source = (
        Referral.UptakeSource.EVALUATION if evaluation else Referral.UptakeSource.CONSULTANT
    )
    recorded = referral.sent_at + datetime.timedelta(days=rng.randint(30, 150))
    referral.uptake_recorded_at = min(recorded, setting.now - datetime.timedelta(hours=1))
