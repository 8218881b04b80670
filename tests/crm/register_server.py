"""A local company register for tests: a pytest-httpserver that answers like Erhvervsstyrelsen's
system-to-system access (Elasticsearch) and like cvrapi.dk, with payloads shaped like the
recorded ones in tests/fixtures/cvr_example.json (a copy of ../shared/data/cvr_example.json)."""

import copy
import json
from pathlib import Path

from werkzeug import Response

RECORDED = json.loads(
    (Path(__file__).resolve().parent.parent / "fixtures" / "cvr_example.json").read_text()
)
EXAMPLE_CVR = "12345674"
EXAMPLE_P = "1012345678"


def virk_document(**changes) -> dict:
    """The recorded Vrvirksomhed, with ``name``, ``municipality_code``, ``status``,
    ``protected``, ``cvr`` changed where given."""
    hit = RECORDED["virk_cvr_system_til_system"]["response"]["hits"]["hits"][0]
    company = copy.deepcopy(hit["_source"]["Vrvirksomhed"])
    meta = company["virksomhedMetadata"]
    if "cvr" in changes:
        company["cvrNummer"] = int(changes["cvr"])
    if "name" in changes:
        meta["nyesteNavn"]["navn"] = changes["name"]
        company["navne"][-1]["navn"] = changes["name"]
    if "municipality_code" in changes:
        meta["nyesteBeliggenhedsadresse"]["kommune"]["kommuneKode"] = changes["municipality_code"]
    if "status" in changes:
        meta["sammensatStatus"] = changes["status"]
    if "protected" in changes:
        company["reklamebeskyttet"] = changes["protected"]
    if "p_number" in changes:
        company["penheder"][0]["pNummer"] = int(changes["p_number"])
    return company


def virk_unit(p_number: str = EXAMPLE_P) -> dict:
    return {
        "VrproduktionsEnhed": {
            "pNummer": int(p_number),
            "produktionsEnhedMetadata": {
                "nyesteNavn": {"navn": "Eksempel Rådgivning ApS"},
                "nyesteBeliggenhedsadresse": {
                    "vejnavn": "Eksempelvej",
                    "husnummerFra": 12,
                    "postnummer": 8800,
                    "postdistrikt": "Viborg",
                    "kommune": {"kommuneKode": 791},
                },
                "hovedafdeling": True,
            },
        }
    }


def hits(sources: list[dict]) -> dict:
    answer = copy.deepcopy(RECORDED["virk_cvr_system_til_system"]["response"])
    answer["hits"]["hits"] = [{"_index": "cvr-v-20220630", "_source": s} for s in sources]
    answer["hits"]["total"] = len(sources)
    return answer


class VirkRegister:
    """Companies by CVR number; answers the term queries crm.register sends."""

    def __init__(self, httpserver, *companies: dict):
        self.companies = {str(c["cvrNummer"]): c for c in companies}
        self.asked: list[dict] = []
        self.down: set[str] = set()  # CVR numbers answered with 503, as a register that fails
        httpserver.expect_request(
            "/cvr-permanent/virksomhed/_search", method="POST"
        ).respond_with_handler(self.companies_answer)
        httpserver.expect_request(
            "/cvr-permanent/produktionsenhed/_search", method="POST"
        ).respond_with_handler(self.units_answer)

    def companies_answer(self, request):
        body = json.loads(request.data)
        self.asked.append(body)
        term = body["query"].get("term", {})
        if str(term.get("Vrvirksomhed.cvrNummer")) in self.down:
            return json_response({"error": "unavailable"}, status=503)
        if "Vrvirksomhed.cvrNummer" in term:
            found = self.companies.get(str(term["Vrvirksomhed.cvrNummer"]))
            sources = [found] if found else []
        elif "Vrvirksomhed.penheder.pNummer" in term:
            wanted = term["Vrvirksomhed.penheder.pNummer"]
            sources = [
                c
                for c in self.companies.values()
                if wanted in [u["pNummer"] for u in c["penheder"]]
            ]
        else:
            words = body["query"]["match"]["Vrvirksomhed.virksomhedMetadata.nyesteNavn.navn"]
            wanted = words["query"].lower()
            sources = [
                c
                for c in self.companies.values()
                if wanted in c["virksomhedMetadata"]["nyesteNavn"]["navn"].lower()
            ]
        return json_response(hits([{"Vrvirksomhed": c} for c in sources]))

    def asked_cvrs(self) -> list[str]:
        terms = [body["query"].get("term", {}) for body in self.asked]
        return [str(t["Vrvirksomhed.cvrNummer"]) for t in terms if "Vrvirksomhed.cvrNummer" in t]

    def units_answer(self, request):
        numbers = json.loads(request.data)["query"]["terms"]["VrproduktionsEnhed.pNummer"]
        return json_response(hits([virk_unit(str(n)) for n in numbers]))


def json_response(body, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def use_virk(settings, httpserver) -> None:
    settings.CVR_REGISTER_URL = httpserver.url_for("/")
    settings.CVR_REGISTER_USER = "knudepunkt"
    settings.CVR_REGISTER_PASSWORD = "hemmelig"
    settings.CVRAPI_URL = ""


def use_cvrapi(settings, httpserver) -> None:
    settings.CVR_REGISTER_URL = ""
    settings.CVRAPI_URL = httpserver.url_for("/api")
