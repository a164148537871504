#!/usr/bin/env bash
# Self-test for sp_check.py and xsd_check.py.
#
# Makes a throwaway RSA key + self-signed cert with openssl, a signed IdP metadata document and
# SAML Responses signed with `xmlsec1 --sign` (enveloped signature, RSA-SHA256, exc-c14n,
# Reference URI="#<ID>"), then checks that the good ones are accepted and the bad ones rejected.
#
# Usage: tests/python/selftest.sh            (from anywhere; creates var/test-venv if missing)
#        KEEP=1 tests/python/selftest.sh     (keeps the fixture dir and prints its path)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="${VENV:-$ROOT/var/test-venv}"
PY="$VENV/bin/python"
XMLSEC1="${XMLSEC1:-/usr/bin/xmlsec1}"

if [ ! -x "$PY" ]; then
  echo "creating venv $VENV" >&2
  /usr/bin/python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r "$HERE/requirements.txt"
fi

W="$(mktemp -d /tmp/saml-selftest.XXXXXX)"
if [ "${KEEP:-0}" = 1 ]; then echo "fixtures in $W" >&2; else trap 'rm -rf "$W"' EXIT; fi

IDP="https://idp.test/saml/metadata"
SP="https://sp.test/metadata"
ACS="https://sp.test/acs"
REQ_ID="_req-0123456789abcdef"
NAMEID="alice@example.org"
FMT_PERSISTENT="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
ATTR_URI="urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
CLASSREF="urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"

NOW="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
LATER="$(date -u -d '+5 minutes' +%Y-%m-%dT%H:%M:%SZ)"
PAST="$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)"
PAST_END="$(date -u -d '-1 hours' +%Y-%m-%dT%H:%M:%SZ)"

# --- keys -------------------------------------------------------------------------------------
for k in idp other; do
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 -subj "/CN=$k.test" \
    -keyout "$W/$k.key" -out "$W/$k.crt" 2>/dev/null
done
CERT_B64="$(grep -v -- '-----' "$W/idp.crt" | tr -d '\n')"

# --- signature template (enveloped, exc-c14n, RSA-SHA256, SHA-256 digest) -----------------------
sig_tmpl() { # $1 = ID referenced
  cat <<EOF
<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#$1"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>
EOF
}

# --- IdP metadata, signed ---------------------------------------------------------------------
cat >"$W/md.tmpl.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" ID="_md-1" entityID="$IDP" validUntil="$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)">$(sig_tmpl _md-1)<md:IDPSSODescriptor WantAuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>$CERT_B64</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:NameIDFormat>$FMT_PERSISTENT</md:NameIDFormat><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.test/saml/sso"/><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.test/saml/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>
EOF
"$XMLSEC1" --sign --privkey-pem "$W/idp.key,$W/idp.crt" \
  --id-attr:ID urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor \
  --output "$W/md.xml" "$W/md.tmpl.xml"
"$XMLSEC1" --verify --pubkey-cert-pem "$W/idp.crt" \
  --id-attr:ID urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor "$W/md.xml" 2>/dev/null

# --- Response builder -------------------------------------------------------------------------
# make_response OUT key=value...   keys: sign=assertion|response|none  audience dest irt
#                                        nbf noa (assertion/subject-confirmation time window)
#                                        swap=1 (puts Status before Issuer: schema-invalid)
make_response() {
  local out="$1"; shift
  local sign=assertion audience="$SP" dest="$ACS" irt="$REQ_ID" nbf="$NOW" noa="$LATER" swap=0 key=idp
  local kv; for kv in "$@"; do local "$kv"; done
  local rid="_resp-$RANDOM$RANDOM" aid="_assert-$RANDOM$RANDOM"
  local rsig="" asig="" irt_attr="" sc_irt=""
  [ "$sign" = response ] && rsig="$(sig_tmpl "$rid")"
  [ "$sign" = assertion ] && asig="$(sig_tmpl "$aid")"
  [ -n "$irt" ] && irt_attr=" InResponseTo=\"$irt\"" && sc_irt=" InResponseTo=\"$irt\""
  local issuer="<saml:Issuer>$IDP</saml:Issuer>"
  local status='<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
  local head="$issuer$rsig$status"
  [ "$swap" = 1 ] && head="$status$issuer"
  cat >"$out.tmpl" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="$rid" Version="2.0" IssueInstant="$nbf" Destination="$dest"$irt_attr>$head<saml:Assertion ID="$aid" Version="2.0" IssueInstant="$nbf"><saml:Issuer>$IDP</saml:Issuer>$asig<saml:Subject><saml:NameID Format="$FMT_PERSISTENT" NameQualifier="$IDP" SPNameQualifier="$SP">$NAMEID</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="$noa" Recipient="$ACS"$sc_irt/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="$nbf" NotOnOrAfter="$noa"><saml:AudienceRestriction><saml:Audience>$audience</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="$nbf" SessionIndex="_sess-42" SessionNotOnOrAfter="$noa"><saml:AuthnContext><saml:AuthnContextClassRef>$CLASSREF</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement><saml:Attribute Name="urn:oid:0.9.2342.19200300.100.1.3" NameFormat="$ATTR_URI" FriendlyName="mail"><saml:AttributeValue>alice@example.org</saml:AttributeValue></saml:Attribute><saml:Attribute Name="urn:oid:2.5.4.42" NameFormat="$ATTR_URI" FriendlyName="givenName"><saml:AttributeValue>Alice</saml:AttributeValue></saml:Attribute><saml:Attribute Name="urn:pass-idp:attribute:loa" NameFormat="$ATTR_URI"><saml:AttributeValue>substantial</saml:AttributeValue><saml:AttributeValue>low</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion></samlp:Response>
EOF
  case "$sign" in
    assertion) "$XMLSEC1" --sign --privkey-pem "$W/$key.key,$W/$key.crt" \
                 --id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion --output "$out" "$out.tmpl" ;;
    response)  "$XMLSEC1" --sign --privkey-pem "$W/$key.key,$W/$key.crt" \
                 --id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:Response --output "$out" "$out.tmpl" ;;
    none)      cp "$out.tmpl" "$out" ;;
  esac
}

make_response "$W/good.xml"
make_response "$W/unsigned.xml" sign=none
make_response "$W/wrong-audience.xml" audience=https://evil.test/metadata
make_response "$W/wrong-dest.xml" dest=https://evil.test/acs
make_response "$W/expired.xml" nbf="$PAST" noa="$PAST_END"
make_response "$W/other-key.xml" key=other
make_response "$W/resp-signed.xml" sign=response
make_response "$W/unsolicited.xml" irt=
make_response "$W/bad-order.xml" sign=none swap=1
# tampered: content changed after signing (NameID, then an attribute value)
sed "s#>$NAMEID</saml:NameID>#>mallory@example.org</saml:NameID>#" "$W/good.xml" >"$W/tampered-nameid.xml"
sed 's#>substantial<#>high<#' "$W/good.xml" >"$W/tampered-attr.xml"
# tampered: one byte of the SignatureValue flipped
"$PY" - "$W/good.xml" "$W/tampered-sigvalue.xml" <<'EOF'
import re, sys
s = open(sys.argv[1]).read()
m = re.search(r"<ds:SignatureValue>\s*(.)", s)
i = m.start(1); c = s[i]
s = s[:i] + ("B" if c != "B" else "C") + s[i + 1:]
open(sys.argv[2], "w").write(s)
EOF
# XML signature wrapping: an evil unsigned Assertion put in front of the genuinely signed one
"$PY" - "$W/good.xml" "$W/unsigned.xml" "$W/xsw.xml" <<'EOF'
import re, sys
good = open(sys.argv[1]).read(); evil = open(sys.argv[2]).read()
ev = re.search(r"<saml:Assertion .*</saml:Assertion>", evil, re.S).group(0)
ev = ev.replace("alice@example.org</saml:NameID>", "mallory@example.org</saml:NameID>").replace('ID="_assert', 'ID="_evil')
i = good.index("<saml:Assertion ")
open(sys.argv[3], "w").write(good[:i] + ev + good[i:])
EOF

# EncryptedAssertion: the signed assertion of good.xml, encrypted to the SP's cert
# (aes256-cbc content, rsa-oaep-mgf1p key transport), put back into the Response.
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 -subj "/CN=sp.test" \
  -keyout "$W/sp.key" -out "$W/sp.crt" 2>/dev/null
"$PY" - "$W/good.xml" "$W/assertion.xml" <<'EOF'
import re, sys
s = open(sys.argv[1]).read()
a = re.search(r"<saml:Assertion .*</saml:Assertion>", s, re.S).group(0)
a = a.replace("<saml:Assertion ", '<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ', 1)
open(sys.argv[2], "w").write(a)
EOF
cat >"$W/enc.tmpl" <<'EOF'
<xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element"><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes256-cbc"/><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"><ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/></xenc:EncryptionMethod><xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo><xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>
EOF
"$XMLSEC1" --encrypt --pubkey-cert-pem "$W/sp.crt" --session-key aes-256 \
  --xml-data "$W/assertion.xml" --output "$W/enc-data.xml" "$W/enc.tmpl"
"$PY" - "$W/good.xml" "$W/enc-data.xml" "$W/encrypted.xml" <<'EOF'
import re, sys
s = open(sys.argv[1]).read()
enc = re.sub(r"^<\?xml[^>]*\?>\s*", "", open(sys.argv[2]).read())
s = re.sub(r"<saml:Assertion .*</saml:Assertion>",
           lambda m: "<saml:EncryptedAssertion>" + enc + "</saml:EncryptedAssertion>", s, flags=re.S)
open(sys.argv[3], "w").write(s)
EOF
keys_json() { "$PY" -c 'import json, sys; print(json.dumps({"sp_key_pem": open(sys.argv[1]).read(), "sp_cert_pem": open(sys.argv[2]).read()}))' "$1" "$2"; }
SP_KEYS_JSON="$(keys_json "$W/sp.key" "$W/sp.crt")"
OTHER_KEYS_JSON="$(keys_json "$W/other.key" "$W/other.crt")"

# --- runners ----------------------------------------------------------------------------------
PASS=0; FAIL=0
check() { # check NAME EXPECT(ok|fail|exit2) ACTUAL_JSON RC [python-assert-expression on `r`]
  local name="$1" expect="$2" out="$3" rc="$4" extra="${5:-True}"
  local verdict
  verdict="$("$PY" -c '
import json, sys
expect, rc, extra = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    r = json.loads(sys.argv[4])
except Exception as e:
    print("bad-json"); sys.exit()
if expect == "exit2":
    print("pass" if rc == 2 and r.get("ok") is False else "fail")
elif rc != 0:
    print("fail")
elif expect == "ok":
    print("pass" if r.get("ok") is True and eval(extra) else "fail")
else:
    print("pass" if r.get("ok") is False and eval(extra) else "fail")
' "$expect" "$rc" "$extra" "$out")"
  if [ "$verdict" = pass ]; then
    PASS=$((PASS + 1)); printf 'PASS  %-34s %s\n' "$name" "$out"
  else
    FAIL=$((FAIL + 1)); printf 'FAIL  %-34s (expected %s, rc=%s) %s\n' "$name" "$expect" "$rc" "$out"
  fi
}

sp() { # sp NAME EXPECT RESPONSE_FILE [json-overrides] [assert-expr]
  local name="$1" expect="$2" file="$3" over="${4:-}" extra="${5:-True}"
  [ -n "$over" ] || over='{}'
  local input out rc=0
  input="$("$PY" - "$W/md.xml" "$file" "$SP" "$ACS" "$REQ_ID" "$over" <<'EOF'
import base64, json, sys
md, resp, sp, acs, irt, over = sys.argv[1:7]
req = {
    "idp_metadata_xml": open(md).read(),
    "sp_entity_id": sp,
    "acs_url": acs,
    "saml_response_b64": base64.b64encode(open(resp, "rb").read()).decode(),
    "in_response_to": irt,
    "want_assertions_signed": True,
    "want_response_signed": False,
    "allow_unsolicited": False,
}
req.update(json.loads(over))
print(json.dumps(req))
EOF
)"
  out="$(printf '%s' "$input" | "$PY" "$HERE/sp_check.py" 2>"$W/$name.stderr")" || rc=$?
  check "sp:$name" "$expect" "$out" "$rc" "$extra"
}

xsd() { # xsd NAME EXPECT FILE [assert-expr]
  local out rc=0
  out="$("$PY" "$HERE/xsd_check.py" <"$3" 2>"$W/xsd-$1.stderr")" || rc=$?
  check "xsd:$1" "$2" "$out" "$rc" "${4:-True}"
}

echo "== sp_check.py (pysaml2 $("$PY" -c 'import importlib.metadata as m; print(m.version("pysaml2"))'), $("$XMLSEC1" --version))"
sp good ok "$W/good.xml" '{}' \
  'r["name_id"] == "alice@example.org" and r["name_id_format"].endswith(":persistent") and r["raw_attributes"]["urn:pass-idp:attribute:loa"] == ["substantial", "low"] and r["attributes"]["mail"] == ["alice@example.org"] and r["ava"].get("mail") == ["alice@example.org"] and r["authn_context_class_ref"].endswith("PasswordProtectedTransport") and r["session_index"] == "_sess-42" and r["issuer"] == "https://idp.test/saml/metadata" and r["assertion_signed"] and not r["response_signed"]'
sp unsigned-assertion fail "$W/unsigned.xml" '' '"Signature missing for assertion" in r["error"]'
sp wrong-audience fail "$W/wrong-audience.xml" '' '"AudienceRestriction" in r["error"]'
sp wrong-destination fail "$W/wrong-dest.xml" '' '"destination" in r["error"]'
sp expired fail "$W/expired.xml" '' '"too old" in r["error"]'
sp signed-by-unknown-key fail "$W/other-key.xml" '' 'r["error"].startswith("SignatureError")'
sp tampered-nameid fail "$W/tampered-nameid.xml" '' 'r["error"].startswith("SignatureError")'
sp tampered-attribute fail "$W/tampered-attr.xml" '' 'r["error"].startswith("SignatureError")'
sp tampered-signature-value fail "$W/tampered-sigvalue.xml" '' 'r["error"].startswith("SignatureError")'
sp signature-wrapping fail "$W/xsw.xml"
sp wrong-in-response-to fail "$W/good.xml" '{"in_response_to": "_some-other-request"}' 'r["error"].startswith("UnsolicitedResponse")'
sp no-outstanding-request fail "$W/good.xml" '{"in_response_to": null}' 'r["error"].startswith("UnsolicitedResponse")'
sp wrong-sp-entity-id fail "$W/good.xml" '{"sp_entity_id": "https://other-sp.test/metadata"}' '"AudienceRestriction" in r["error"]'
sp unsolicited-allowed ok "$W/unsolicited.xml" '{"in_response_to": null, "allow_unsolicited": true}'
sp unsolicited-refused fail "$W/unsolicited.xml" '{"in_response_to": null, "allow_unsolicited": false}'
sp response-signed-only ok "$W/resp-signed.xml" '{"want_assertions_signed": false, "want_response_signed": true}' \
  'r["response_signed"] and not r["assertion_signed"]'
sp response-signed-but-assertion-wanted fail "$W/resp-signed.xml" '' '"Signature missing for assertion" in r["error"]'
sp response-signature-wanted fail "$W/good.xml" '{"want_response_signed": true}' '"Signature missing for response" in r["error"]'
sp encrypted-assertion ok "$W/encrypted.xml" "$SP_KEYS_JSON" \
  'r["name_id"] == "alice@example.org" and r["assertion_signed"] and r["raw_attributes"]["urn:oid:2.5.4.42"] == ["Alice"]'
sp encrypted-assertion-no-sp-key fail "$W/encrypted.xml"
sp encrypted-assertion-wrong-sp-key fail "$W/encrypted.xml" "$OTHER_KEYS_JSON"
sp not-base64 fail "$W/good.xml" '{"saml_response_b64": "!!!not base64!!!"}'
out="$(echo '{"sp_entity_id": 1}' | "$PY" "$HERE/sp_check.py" 2>/dev/null)" && rc=0 || rc=$?
check "sp:bad-input" exit2 "$out" "$rc"

echo "== xsd_check.py"
xsd signed-response ok "$W/good.xml"
xsd response-signed-response ok "$W/resp-signed.xml"
xsd encrypted-assertion ok "$W/encrypted.xml"
xsd signed-metadata ok "$W/md.xml"
xsd status-before-issuer fail "$W/bad-order.xml" '"Unexpected child" in r["error"] and "saml:Issuer" in r["error"]'
sed 's#<saml:Conditions#<saml:Bogus/><saml:Conditions#' "$W/unsigned.xml" >"$W/unknown-elem.xml"
xsd unknown-element fail "$W/unknown-elem.xml" '"saml:Bogus" in r["error"]'
sed 's# Version="2.0"##' "$W/unsigned.xml" >"$W/no-version.xml"
xsd missing-version-attribute fail "$W/no-version.xml" '"Version" in r["error"]'
# metadata with KeyDescriptor after SingleSignOnService (wrong order)
"$PY" - "$W/md.xml" "$W/md-bad-order.xml" <<'EOF'
import re, sys
s = open(sys.argv[1]).read()
kd = re.search(r"<md:KeyDescriptor.*?</md:KeyDescriptor>", s, re.S).group(0)
s = s.replace(kd, "").replace("</md:IDPSSODescriptor>", kd + "</md:IDPSSODescriptor>")
open(sys.argv[2], "w").write(s)
EOF
xsd metadata-wrong-order fail "$W/md-bad-order.xml" '"md:KeyDescriptor" in r["error"] and "+" not in r["error"]'
printf '<foo/>' >"$W/foo.xml"
xsd unknown-root fail "$W/foo.xml"
printf '<samlp:Response' >"$W/broken.xml"
xsd not-well-formed fail "$W/broken.xml"
out="$("$PY" "$HERE/xsd_check.py" </dev/null 2>/dev/null)" && rc=0 || rc=$?
check "xsd:empty-input" exit2 "$out" "$rc"

echo "selftest: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
