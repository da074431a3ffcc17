#!/usr/bin/python3
"""A second, independent implementation of mynaconf's secure messaging, in Python over pyca/cryptography.

It shares no code with the Swift side (CardCrypto), so when both agree on the same bytes the agreement means
something. It does two things:

  1. recomputes every value of Vectors/crypto/icao-9303-11-bac.kat (ICAO Doc 9303 Part 11, Appendix D) and fails
     loudly on any difference: the published worked example, checked by a second implementation;
  2. writes Vectors/crypto/mynaconf-sm.kat, sessions in both suites under the card profile's rules
     (docs/secure-messaging.md): AES-128 (which ICAO publishes no worked example of), extended lengths, odd INS,
     error status words, and tampered exchanges that the card must refuse with a named error.

Usage: scripts/generate-sm-vectors.py [--check]   (--check compares with the committed file instead of writing)
Needs Debian's python3-cryptography; run it with /usr/bin/python3 (pyenv's python3 does not see Debian packages).
"""
import hashlib
import os
import sys

from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

try:  # cryptography >= 43 moved TripleDES to the "decrepit" package
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:
    TripleDES = algorithms.TripleDES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ICAO = os.path.join(ROOT, "Vectors/crypto/icao-9303-11-bac.kat")
OUTPUT = os.path.join(ROOT, "Vectors/crypto/mynaconf-sm.kat")


def h(text):
    return bytes.fromhex("".join(text.split()))


def hx(data):
    return data.hex().upper()


# --- primitives -------------------------------------------------------------------------------------------------

def pad(data, block):
    data = data + b"\x80"
    return data + bytes((-len(data)) % block)


def unpad(data, block):
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80") or len(data) - len(stripped) >= block:
        raise ValueError("bad padding")
    return stripped[:-1]


def tdes(key, data, iv=bytes(8), encrypt=True):
    key = key + key[:8] if len(key) == 16 else key
    cipher = Cipher(TripleDES(key), modes.CBC(iv))
    op = cipher.encryptor() if encrypt else cipher.decryptor()
    return op.update(data) + op.finalize()


def aes(key, data, iv=None, encrypt=True):
    cipher = Cipher(algorithms.AES(key), modes.CBC(iv) if iv is not None else modes.ECB())
    op = cipher.encryptor() if encrypt else cipher.decryptor()
    return op.update(data) + op.finalize()


def retail_mac(key, padded):
    """ISO/IEC 9797-1 MAC algorithm 3 over already padded data, written out block by block."""
    k1, k2 = key[:8], key[8:16]
    chain = bytes(8)
    for i in range(0, len(padded), 8):
        block = bytes(a ^ b for a, b in zip(chain, padded[i:i + 8]))
        chain = Cipher(TripleDES(k1 * 3), modes.ECB()).encryptor().update(block)  # single DES with K1
    step = Cipher(TripleDES(k2 * 3), modes.ECB()).decryptor().update(chain)
    return Cipher(TripleDES(k1 * 3), modes.ECB()).encryptor().update(step)


def aes_cmac(key, data):
    c = cmac.CMAC(algorithms.AES(key))
    c.update(data)
    return c.finalize()


def parity(key):
    return bytes((b & 0xFE) | (bin(b & 0xFE).count("1") % 2 == 0) for b in key)


class Suite:
    def __init__(self, name):
        self.name = name
        self.block = 8 if name == "3des" else 16

    def kdf(self, seed, counter):
        digest = hashlib.sha1(seed + counter.to_bytes(4, "big")).digest()[:16]
        return parity(digest) if self.name == "3des" else digest

    def checksum(self, key, data):
        padded = pad(data, self.block)
        return retail_mac(key, padded) if self.name == "3des" else aes_cmac(key, padded)[:8]

    def iv(self, kenc, ssc):
        return bytes(8) if self.name == "3des" else aes(kenc, ssc)

    def encrypt(self, kenc, ssc, data, padded=True):
        data = pad(data, self.block) if padded else data
        if self.name == "3des":
            return tdes(kenc, data)
        return aes(kenc, data, iv=self.iv(kenc, ssc))

    def decrypt(self, kenc, ssc, data):
        if self.name == "3des":
            return unpad(tdes(kenc, data, encrypt=False), 8)
        return unpad(aes(kenc, data, iv=self.iv(kenc, ssc), encrypt=False), 16)

    def seal(self, kenc, kmac, plaintext):
        e = tdes(kenc, plaintext) if self.name == "3des" else aes(kenc, plaintext, iv=bytes(16))
        return e + self.checksum(kmac, e)


# --- APDU encodings ---------------------------------------------------------------------------------------------

def ber_length(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag, value):
    return bytes([tag]) + ber_length(len(value)) + value


def command_apdu(header, data=b"", le=None, extended=False):
    out = bytes(header)
    extended = extended or len(data) > 255 or (le or 0) > 256
    if extended and (data or le is not None):
        out += b"\x00"
    if data:
        out += (len(data).to_bytes(2, "big") if extended else bytes([len(data)])) + data
    if le is not None:
        out += (le % 65536).to_bytes(2, "big") if extended else bytes([le % 256])
    return out


def parse_command(apdu):
    """(header, data, le, extended) of a well-formed command APDU."""
    header, body = apdu[:4], apdu[4:]
    if not body:
        return header, b"", None, False
    if len(body) == 1:
        return header, b"", body[0] or 256, False
    if body[0] != 0:
        lc = body[0]
        data = body[1:1 + lc]
        rest = body[1 + lc:]
        return header, data, (rest[0] or 256) if rest else None, False
    if len(body) == 3:
        return header, b"", int.from_bytes(body[1:3], "big") or 65536, True
    lc = int.from_bytes(body[1:3], "big")
    data = body[3:3 + lc]
    rest = body[3 + lc:]
    return header, data, (int.from_bytes(rest, "big") or 65536) if rest else None, True


def inc(ssc, by=1):
    return ((int.from_bytes(ssc, "big") + by) % (1 << (8 * len(ssc)))).to_bytes(len(ssc), "big")


# --- the two sides, as docs/secure-messaging.md states them ----------------------------------------------------

def protect_command(suite, kenc, kmac, ssc, apdu):
    """The host: returns (protected APDU, new SSC)."""
    ssc = inc(ssc)
    header, data, le, extended = parse_command(apdu)
    cla = bytes([header[0] | 0x0C]) + header[1:]
    objects = b""
    if data:
        cryptogram = suite.encrypt(kenc, ssc, data)
        objects += tlv(0x85, cryptogram) if header[1] & 1 else tlv(0x87, b"\x01" + cryptogram)
    if le is not None:
        objects += tlv(0x97, (le % 65536).to_bytes(2, "big") if (extended or le > 256) else bytes([le % 256]))
    objects += tlv(0x8E, suite.checksum(kmac, ssc + pad(cla, suite.block) + objects))
    largest = 14
    if le is not None:
        value = 1 + (le // suite.block + 1) * suite.block
        largest += 1 + len(ber_length(value)) + value
    long_form = extended or len(objects) > 255 or largest > 256
    return command_apdu(cla, objects, 65536 if long_form else 256, extended=long_form), ssc


def protect_response(suite, kenc, kmac, ssc, response, odd=False):
    """The card: returns (protected response, new SSC)."""
    ssc = inc(ssc)
    data, sw = response[:-2], response[-2:]
    objects = b""
    if data:
        cryptogram = suite.encrypt(kenc, ssc, data)
        objects += tlv(0x85, cryptogram) if odd else tlv(0x87, b"\x01" + cryptogram)
    objects += tlv(0x99, sw)
    objects += tlv(0x8E, suite.checksum(kmac, ssc + objects))
    return objects + sw, ssc


def authenticate(suite, kenc, kmac, rnd_ic, rnd_ifd, k_ifd, k_ic):
    command_data = suite.seal(kenc, kmac, rnd_ifd + rnd_ic + k_ifd)
    response_data = suite.seal(kenc, kmac, rnd_ic + rnd_ifd + k_ic)
    seed = bytes(a ^ b for a, b in zip(k_ifd, k_ic))
    ssc = bytes(suite.block - 8) + rnd_ic[4:] + rnd_ifd[4:]
    return command_data, response_data, suite.kdf(seed, 1), suite.kdf(seed, 2), ssc


# --- 1. the ICAO worked example, recomputed --------------------------------------------------------------------

def read_kat(path):
    cases, current, last = [], None, None
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            last = None if not line.strip() else last
            continue
        if line.startswith("["):
            current = {"kind": line.strip()[1:-1], "fields": []}
            cases.append(current)
            last = None
        elif line[0] in " \t":
            last[1] += " " + line.strip()
        else:
            name, value = line.split("=", 1)
            last = [name.strip(), value.strip()]
            if current is not None:
                current["fields"].append(last)
    return cases


def check_icao():
    checked = 0
    for case in read_kat(ICAO):
        f = {}
        steps = []
        for name, value in case["fields"]:
            if name in ("command", "protected-command", "protected-response", "response") and \
                    case["kind"] == "secure-messaging":
                if name == "command":
                    steps.append({})
                steps[-1][name] = h(value)
            else:
                f[name] = value
        kind = case["kind"]
        if kind == "bac-key-seed":
            assert hashlib.sha1(f["mrz-information"].encode()).digest()[:16] == h(f["key-seed"]), f
        elif kind == "key-derivation":
            s = Suite(f["suite"])
            assert s.kdf(h(f["key-seed"]), 1) == h(f["k-enc"]) and s.kdf(h(f["key-seed"]), 2) == h(f["k-mac"]), f
        elif kind == "mutual-authentication":
            s = Suite(f["suite"])
            cmd, rsp, ksenc, ksmac, ssc = authenticate(
                s, h(f["k-enc"]), h(f["k-mac"]), h(f["rnd-ic"]), h(f["rnd-ifd"]), h(f["k-ifd"]), h(f["k-ic"]))
            assert command_apdu(b"\x00\x82\x00\x00", cmd, len(cmd)) == h(f["command"]), "E.IFD ‖ M.IFD"
            assert rsp + b"\x90\x00" == h(f["response"]), "E.IC ‖ M.IC"
            assert (ksenc, ksmac, ssc) == (h(f["ks-enc"]), h(f["ks-mac"]), h(f["ssc"])), "session keys and SSC"
        elif kind == "secure-messaging" and f.get("expect", "valid") == "valid":
            s = Suite(f["suite"])
            kenc, kmac, ssc = h(f["ks-enc"]), h(f["ks-mac"]), h(f["ssc"])
            for step in steps:
                protected, ssc = protect_command(s, kenc, kmac, ssc, step["command"])
                assert protected == step["protected-command"], (hx(protected), step)
                odd = step["command"][1] & 1
                protected_response, ssc = protect_response(s, kenc, kmac, ssc, step["response"], odd)
                assert protected_response == step["protected-response"], (hx(protected_response), step)
        elif kind == "retail-mac":
            message = h(f["message"])
            padded = message if f.get("padding") == "none" else pad(message, 8)
            assert retail_mac(h(f["key"]), padded) == h(f["mac"]), f
        elif kind == "tdes-cbc":
            assert tdes(h(f["key"]), h(f["plaintext"]), h(f["iv"])) == h(f["ciphertext"]), f
        else:
            continue
        checked += 1
    return checked


# --- 2. the card profile's sessions, generated -------------------------------------------------------------------

def wrap(value, width=64, indent="    "):
    text = hx(value)
    if len(text) <= width:
        return text
    parts = [text[i:i + width] for i in range(0, len(text), width)]
    return ("\n" + indent).join(parts)


def field(name, value):
    return "%s = %s\n" % (name, wrap(value) if isinstance(value, bytes) else value)


def session_case(suite, name, kenc, kmac, ssc, exchanges):
    out = "\n[secure-messaging]\n" + field("name", name) + field("suite", suite.name)
    out += field("ks-enc", kenc) + field("ks-mac", kmac) + field("ssc", ssc)
    for command, response in exchanges:
        protected, ssc = protect_command(suite, kenc, kmac, ssc, command)
        protected_response, ssc = protect_response(suite, kenc, kmac, ssc, response, command[1] & 1)
        out += field("command", command) + field("protected-command", protected)
        out += field("protected-response", protected_response) + field("response", response)
    return out


def generate():
    out = (
        "# Generated by scripts/generate-sm-vectors.py (pyca/cryptography, independent of CardCrypto); do not edit.\n"
        "# Sessions under the card profile's secure messaging (docs/secure-messaging.md), both suites. The AES-128\n"
        "# suite follows ICAO 9303-11 §9.7.1/§9.8 (KDF, 16-byte SSC, IV = E(KSenc, SSC), CMAC cut to 8 bytes);\n"
        "# its starting counter after mutual authentication is the profile's assumption. Format: docs/vectors.md.\n"
        "title = mynaconf card profile: 3DES and AES-128 secure messaging, both sides\n"
        "source = computed by scripts/generate-sm-vectors.py from fixed inputs\n"
    )
    # A Type D-like exchange: select the card AP, read in parts, one read that needs an extended protected APDU,
    # a case 1 and a case 3 command, an odd INS, and an error answered under secure messaging.
    aid = h("D3921000310001010100")
    file_content = bytes((i * 7 + 3) % 256 for i in range(255))
    exchanges = [
        (command_apdu(b"\x00\xA4\x04\x0C", aid), h("9000")),
        (command_apdu(b"\x00\xB0\x00\x00", le=13), file_content[:13] + h("9000")),
        (command_apdu(b"\x00\xB0\x00\x00", le=255), file_content + h("9000")),
        (command_apdu(b"\x00\xB0\x00\x00", le=256), file_content + h("6282")),
        (command_apdu(b"\x00\xA4\x00\x00"), h("6A86")),
        (command_apdu(b"\x00\x20\x00\x81", b"1234"), h("63C2")),
        (command_apdu(b"\x00\xB1\x00\x00", h("54020000"), 16), h("5310") + file_content[:14] + h("9000")),
        (command_apdu(b"\x00\xA4\x02\x0C", h("011E")), h("6A82")),
    ]
    inputs = {
        "3des": dict(seed=h("00112233445566778899AABBCCDDEEFF"), rnd_ic=h("0123456789ABCDEF"),
                     rnd_ifd=h("FEDCBA9876543210"), k_ifd=h("0F1E2D3C4B5A69788796A5B4C3D2E1F0"),
                     k_ic=h("F0E1D2C3B4A5968778695A4B3C2D1E0F")),
        "aes128": dict(seed=h("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF"), rnd_ic=h("1122334455667788"),
                       rnd_ifd=h("8877665544332211"), k_ifd=h("000102030405060708090A0B0C0D0E0F"),
                       k_ic=h("F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF")),
    }
    for name in ("3des", "aes128"):
        s, i = Suite(name), inputs[name]
        kenc, kmac = s.kdf(i["seed"], 1), s.kdf(i["seed"], 2)
        out += "\n[key-derivation]\n" + field("name", "%s: K_enc and K_mac from a key seed (§9.7.1)" % name)
        out += field("suite", name) + field("key-seed", i["seed"]) + field("k-enc", kenc) + field("k-mac", kmac)
        cmd, rsp, ksenc, ksmac, ssc = authenticate(s, kenc, kmac, i["rnd_ic"], i["rnd_ifd"], i["k_ifd"], i["k_ic"])
        out += "\n[mutual-authentication]\n" + field("name", "%s: GET CHALLENGE + MUTUAL AUTHENTICATE" % name)
        out += field("suite", name) + field("k-enc", kenc) + field("k-mac", kmac)
        out += field("rnd-ic", i["rnd_ic"]) + field("rnd-ifd", i["rnd_ifd"]) + field("k-ifd", i["k_ifd"])
        out += field("k-ic", i["k_ic"]) + field("command", command_apdu(b"\x00\x82\x00\x00", cmd, len(cmd)))
        out += field("response", rsp + h("9000")) + field("ks-enc", ksenc) + field("ks-mac", ksmac)
        out += field("ssc", ssc)
        out += session_case(s, "%s: a Type D-like session (short and extended, odd INS, errors)" % name,
                            ksenc, ksmac, ssc, exchanges)

        # Tampered exchanges: each must be refused by the card with the named error.
        select = exchanges[0][0]
        good, _ = protect_command(s, ksenc, ksmac, ssc, select)
        first_response, _ = protect_response(s, ksenc, ksmac, inc(ssc), h("9000"))
        negatives = []
        flipped = good[:-2] + bytes([good[-2] ^ 0x01]) + good[-1:]
        negatives.append(("one bit of the checksum changed", "macMismatch", flipped))
        ahead, _ = protect_command(s, ksenc, ksmac, inc(ssc), select)
        negatives.append(("the host's counter one ahead (a lost exchange)", "counterOutOfStep", ahead))
        nxt = inc(ssc)
        header = b"\x0C\xD6\x00\x00"
        unpadded = tlv(0x87, b"\x01" + s.encrypt(ksenc, nxt, b"\x31" * s.block, padded=False))
        body = unpadded + tlv(0x8E, s.checksum(ksmac, nxt + pad(header, s.block) + unpadded))
        negatives.append(("authenticated data without its padding", "invalidPadding", command_apdu(header, body, 256)))
        header = b"\x0C\xB0\x00\x00"
        swapped = tlv(0x97, b"\x04") + tlv(0x87, b"\x01" + s.encrypt(ksenc, nxt, b"\x00"))
        body = swapped + tlv(0x8E, s.checksum(ksmac, nxt + pad(header, s.block) + swapped))
        negatives.append(("DO 97 before DO 87", "dataObjectsOutOfOrder", command_apdu(header, body, 256)))
        body = tlv(0x97, b"\x04")
        negatives.append(("no DO 8E", "missingDataObject", command_apdu(header, body, 256)))
        for title, error, protected in negatives:
            out += "\n[secure-messaging]\n" + field("name", "%s tampered: %s" % (name, title))
            out += field("expect", "invalid") + field("error", error) + field("suite", name)
            out += field("ks-enc", ksenc) + field("ks-mac", ksmac) + field("ssc", ssc)
            out += field("command", select) + field("protected-command", protected)
            out += field("protected-response", first_response) + field("response", h("9000"))
    return out


def main():
    checked = check_icao()
    print("ICAO 9303-11 Appendix D: %d cases recomputed, every published value reproduced" % checked)
    text = generate()
    if "--check" in sys.argv[1:]:
        with open(OUTPUT, encoding="utf-8") as committed:
            if committed.read() != text:
                print("%s differs from what the independent implementation computes" % OUTPUT, file=sys.stderr)
                return 1
        print("%s: identical to the independent computation" % os.path.relpath(OUTPUT, ROOT))
        return 0
    with open(OUTPUT, "w", encoding="utf-8") as out:
        out.write(text)
    print("wrote %s" % os.path.relpath(OUTPUT, ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
