#!/usr/bin/env python3
"""Independent SAML 2.0 SP check, backed by pysaml2.

Used by the Rust integration tests (via subprocess) to make sure a Response
produced by pass-idp is accepted by an SP implementation that is not ours.

stdin  : one JSON object
  {
    "idp_metadata_xml":       "<md:EntityDescriptor ...>",   (required)
    "sp_entity_id":           "https://sp.example/metadata",  (required)
    "acs_url":                "https://sp.example/acs",       (required)
    "saml_response_b64":      "PHNhbWxwOlJlc3BvbnNl...",      (required; as posted in SAMLResponse)
    "in_response_to":         "_req123" | null,              (optional; null/absent = no outstanding request)
    "want_assertions_signed": true,                           (optional, default true)
    "want_response_signed":   false,                          (optional, default false)
    "allow_unsolicited":      false,                          (optional, default false)
    "sp_key_pem":  "-----BEGIN PRIVATE KEY-----...",          (optional; SP key, for EncryptedAssertion)
    "sp_cert_pem": "-----BEGIN CERTIFICATE-----...",          (optional; goes with sp_key_pem)
    "accepted_time_diff": 60                                  (optional, seconds, default 60)
  }

stdout : exactly one JSON line
  {"ok": true, "name_id": ..., "name_id_format": ..., "ava": {friendly-or-name: [values]},
   "raw_attributes": {Name: [values]}, "attributes": {Name and FriendlyName: [values]},
   "attribute_name_formats": {Name: NameFormat}, "authn_context_class_ref": ...,
   "authn_instant": ..., "session_index": ..., "issuer": ..., "assertion_issuer": ...,
   "response_signed": bool, "assertion_signed": bool, "in_response_to": ..., "destination": ...}
  or
  {"ok": false, "error": "<ExceptionClass>: <message>"}

exit   : 0 in both cases above, 2 on malformed input (bad JSON / missing fields).
Logs from pysaml2 go to stderr (level WARNING, or DEBUG when SP_CHECK_DEBUG=1).
"""

import json
import logging
import os
import shutil
import sys
import tempfile

XMLSEC1 = os.environ.get("XMLSEC1", "/usr/bin/xmlsec1")


class _Collect(logging.Handler):
    """Keeps pysaml2's ERROR records, so that a 'None' result can say why."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.messages = []

    def emit(self, record):
        try:
            self.messages.append(record.getMessage())
        except Exception:  # pragma: no cover - never let logging break the check
            pass


def _out(obj, code=0):
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()
    sys.exit(code)


def _bad_input(msg):
    _out({"ok": False, "error": f"BadInput: {msg}"}, 2)


def _text(el):
    if el is None:
        return None
    t = getattr(el, "text", None)
    return t.strip() if isinstance(t, str) else t


def main():
    debug = os.environ.get("SP_CHECK_DEBUG") == "1"
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG if debug else logging.WARNING)
    collector = _Collect()
    logging.getLogger().addHandler(collector)

    try:
        req = json.loads(sys.stdin.read())
    except Exception as e:
        _bad_input(f"stdin is not JSON: {e}")
    if not isinstance(req, dict):
        _bad_input("stdin JSON must be an object")
    for key in ("idp_metadata_xml", "sp_entity_id", "acs_url", "saml_response_b64"):
        if not isinstance(req.get(key), str) or not req.get(key):
            _bad_input(f"missing or non-string field {key!r}")
    irt = req.get("in_response_to")
    if irt is not None and not isinstance(irt, str):
        _bad_input("in_response_to must be a string or null")
    if bool(req.get("sp_key_pem")) != bool(req.get("sp_cert_pem")):
        _bad_input("sp_key_pem and sp_cert_pem go together")

    # Imported late so that bad input is reported even if the venv is broken.
    from saml2 import BINDING_HTTP_POST
    from saml2.client import Saml2Client
    from saml2.config import SPConfig

    tmp = tempfile.mkdtemp(prefix="sp_check_")
    try:
        md_path = os.path.join(tmp, "idp-metadata.xml")
        with open(md_path, "w", encoding="utf-8") as f:
            f.write(req["idp_metadata_xml"])

        sp = {
            "endpoints": {"assertion_consumer_service": [(req["acs_url"], BINDING_HTTP_POST)]},
            "want_assertions_signed": bool(req.get("want_assertions_signed", True)),
            "want_response_signed": bool(req.get("want_response_signed", False)),
            "allow_unsolicited": bool(req.get("allow_unsolicited", False)),
        }
        conf = {
            "entityid": req["sp_entity_id"],
            "service": {"sp": sp},
            "metadata": {"local": [md_path]},
            "xmlsec_binary": XMLSEC1,
            "accepted_time_diff": int(req.get("accepted_time_diff", 60)),
            "allow_unknown_attributes": True,
        }
        if req.get("sp_key_pem"):
            key_path = os.path.join(tmp, "sp.key")
            cert_path = os.path.join(tmp, "sp.crt")
            with open(key_path, "w") as f:
                f.write(req["sp_key_pem"])
            with open(cert_path, "w") as f:
                f.write(req["sp_cert_pem"])
            conf["key_file"] = key_path
            conf["cert_file"] = cert_path
            conf["encryption_keypairs"] = [{"key_file": key_path, "cert_file": cert_path}]

        try:
            config = SPConfig()
            config.load(conf)
            client = Saml2Client(config=config)
        except Exception as e:
            _bad_input(f"cannot configure SP (bad metadata?): {type(e).__name__}: {e}")

        outstanding = {irt: req["acs_url"]} if irt else {}
        try:
            resp = client.parse_authn_request_response(
                req["saml_response_b64"], BINDING_HTTP_POST, outstanding=outstanding
            )
        except Exception as e:
            msg = str(e) or "; ".join(collector.messages[-3:])
            _out({"ok": False, "error": f"{type(e).__name__}: {msg}"})

        if resp is None:
            why = "; ".join(collector.messages[-3:]) or "pysaml2 returned no response"
            _out({"ok": False, "error": f"NoResponse: {why}"})
        if resp.assertion is None:
            why = "; ".join(collector.messages[-3:]) or "response carries no usable assertion"
            _out({"ok": False, "error": f"NoAssertion: {why}"})

        assertion = resp.assertion
        raw = {}
        formats = {}
        combined = {}
        for stmt in assertion.attribute_statement or []:
            for attr in stmt.attribute or []:
                values = [_text(v) for v in (attr.attribute_value or [])]
                raw.setdefault(attr.name, []).extend(values)
                formats[attr.name] = attr.name_format
                combined.setdefault(attr.name, []).extend(values)
                if attr.friendly_name and attr.friendly_name != attr.name:
                    combined.setdefault(attr.friendly_name, []).extend(values)

        authn = resp.authn_info()
        stmt0 = assertion.authn_statement[0] if assertion.authn_statement else None
        name_id = resp.name_id
        response_issuer = resp.issuer() or None
        assertion_issuer = _text(assertion.issuer)

        _out(
            {
                "ok": True,
                "name_id": _text(name_id),
                "name_id_format": getattr(name_id, "format", None),
                "ava": resp.ava or {},
                "raw_attributes": raw,
                "attributes": combined,
                "attribute_name_formats": formats,
                "authn_context_class_ref": authn[0][0] if authn else None,
                "authn_instant": authn[0][2] if authn else None,
                "session_index": getattr(stmt0, "session_index", None),
                "issuer": response_issuer or assertion_issuer,
                "assertion_issuer": assertion_issuer,
                "response_signed": resp.response.signature is not None,
                "assertion_signed": assertion.signature is not None,
                "in_response_to": resp.in_response_to,
                "destination": resp.response.destination,
            }
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
