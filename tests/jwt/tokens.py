"""Keys and signed tokens for the JWT tests, made fresh on every run with
Debian's python3-cryptography: no private key is stored anywhere.

    keys = TestKeys()
    keys.jwks()                    # public JWKS document (text), one key per algorithm family
    keys.token("ES256", claims)    # compact JWS
"""

import base64
import hashlib
import hmac
import json

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

SECRET = "test-only-hmac-secret-0123456789abcdefgh"
ALGORITHMS = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
              "ES256", "ES384", "EdDSA"]
_HASH = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int(n: int, length: int = 0) -> str:
    length = length or (n.bit_length() + 7) // 8
    return b64(n.to_bytes(length, "big"))


class TestKeys:
    def __init__(self):
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.p256 = ec.generate_private_key(ec.SECP256R1())
        self.p384 = ec.generate_private_key(ec.SECP384R1())
        self.ed = ed25519.Ed25519PrivateKey.generate()

    def jwks(self) -> str:
        rsa_pub = self.rsa.public_key().public_numbers()
        p256 = self.p256.public_key().public_numbers()
        p384 = self.p384.public_key().public_numbers()
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
        ed_raw = self.ed.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        keys = [
            {"kty": "RSA", "kid": "rsa", "use": "sig", "n": _int(rsa_pub.n), "e": _int(rsa_pub.e)},
            {"kty": "EC", "kid": "p256", "crv": "P-256", "x": _int(p256.x, 32), "y": _int(p256.y, 32)},
            {"kty": "EC", "kid": "p384", "crv": "P-384", "x": _int(p384.x, 48), "y": _int(p384.y, 48)},
            {"kty": "OKP", "kid": "ed", "crv": "Ed25519", "x": b64(ed_raw)},
        ]
        return json.dumps({"keys": keys})

    def kid(self, alg: str):
        return {"RS": "rsa", "PS": "rsa", "ES256": "p256", "ES384": "p384", "EdDSA": "ed"}.get(
            alg if alg in ("ES256", "ES384", "EdDSA") else alg[:2])

    def sign(self, alg: str, message: bytes) -> bytes:
        bits = alg[2:]
        if alg.startswith("HS"):
            return hmac.new(SECRET.encode(), message, getattr(hashlib, "sha" + bits)).digest()
        if alg.startswith("RS"):
            return self.rsa.sign(message, padding.PKCS1v15(), _HASH[bits]())
        if alg.startswith("PS"):
            pss = padding.PSS(mgf=padding.MGF1(_HASH[bits]()), salt_length=int(bits) // 8)
            return self.rsa.sign(message, pss, _HASH[bits]())
        if alg in ("ES256", "ES384"):
            key, size = (self.p256, 32) if alg == "ES256" else (self.p384, 48)
            r, s = decode_dss_signature(key.sign(message, ec.ECDSA(_HASH[bits]())))
            return r.to_bytes(size, "big") + s.to_bytes(size, "big")
        if alg == "EdDSA":
            return self.ed.sign(message)
        raise ValueError(alg)

    def token(self, alg: str, claims: dict, header: dict = None) -> str:
        head = {"alg": alg, "typ": "JWT"}
        if not alg.startswith("HS"):
            head["kid"] = self.kid(alg)
        head.update(header or {})
        signing_input = b64(json.dumps(head).encode()) + "." + b64(json.dumps(claims).encode())
        return signing_input + "." + b64(self.sign(alg, signing_input.encode()))
