"""WeChat message signatures and AES message encryption (the "safe mode" envelope).

Pure functions: no network, no clock, no database. `bot.protocol` builds the
request checks on top of this module and re-exports its public names.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_BLOCK = 32  # WeChat pads to 32 bytes, not to the AES block size of 16
_RANDOM_LEN = 16
_HEADER_LEN = _RANDOM_LEN + 4  # random16 + uint32_be(len(msg))
_KEY_RE = re.compile(r"[A-Za-z0-9+/]{43}")
# Values echoed into reply XML; anything else could break out of the CDATA.
# What a reply's TimeStamp and Nonce may be (they are signed and sent back as they are).
REPLY_FIELD = re.compile(r"[A-Za-z0-9]{1,64}")


class ProtocolError(Exception):
    """A request WeChat would not have sent; `status` is the HTTP answer."""

    status: int = 400
    reason: str = "protocol error"

    def __init__(self, reason: str | None = None) -> None:
        if reason is not None:
            self.reason = reason
        super().__init__(self.reason)


class AppIdMismatch(ProtocolError):
    status = 403
    reason = "decrypted message is for another app id"


class DecryptError(ProtocolError):
    status = 403
    reason = "cannot decrypt message"


def _sha1_sorted(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def _same(expected: str, given: str) -> bool:
    # compare_digest on str rejects non-ASCII input with TypeError; bytes never do.
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def signature(token: str, timestamp: str, nonce: str) -> str:
    """The `signature` WeChat computes over token, timestamp and nonce."""
    return _sha1_sorted(token, timestamp, nonce)


def check_signature(token: str, timestamp: str, nonce: str, signature: str) -> bool:
    """True when `signature` is WeChat's sha1 over token, timestamp and nonce."""
    if not (token and timestamp and nonce and signature):
        return False
    return _same(_sha1_sorted(token, timestamp, nonce), signature)


def msg_signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """The `msg_signature` WeChat computes over the Encrypt text of a message."""
    return _sha1_sorted(token, timestamp, nonce, encrypt)


def check_msg_signature(
    token: str, timestamp: str, nonce: str, encrypt: str, signature: str
) -> bool:
    """True when `signature` is the msg_signature of `encrypt` (constant-time)."""
    if not signature:
        return False
    return _same(msg_signature(token, timestamp, nonce, encrypt), signature)


def decode_aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key behind a 43-character EncodingAESKey."""
    if not isinstance(encoding_aes_key, str) or not _KEY_RE.fullmatch(encoding_aes_key):
        raise ValueError(
            "EncodingAESKey must be exactly 43 characters of A-Z, a-z, 0-9, + and / "
            "(copy it from the WeChat admin console without the trailing '=')"
        )
    return base64.b64decode(encoding_aes_key + "=")


class _BadFormat(Exception):
    """Padding or layout is wrong: the ciphertext is not for this key."""


def _pad(data: bytes) -> bytes:
    count = _BLOCK - len(data) % _BLOCK
    return data + bytes([count]) * count


def _unpad(data: bytes) -> bytes:
    count = data[-1] if data else 0
    # Strict PKCS#7: a loose check would let a wrong key "succeed" now and then,
    # which would stop key rotation from trying the previous key.
    if not 1 <= count <= _BLOCK or data[-count:] != bytes([count]) * count:
        raise _BadFormat("bad padding")
    return data[:-count]


class MessageCrypto:
    """AES-256-CBC envelope of the WeChat message-encryption scheme.

    `previous_key` is the EncodingAESKey before the last rotation: the platform
    advises trying it when the current key fails, for messages already in flight.
    """

    def __init__(
        self,
        token: str,
        encoding_aes_key: str,
        app_id: str,
        previous_key: str | None = None,
    ) -> None:
        if not token or not app_id:
            raise ValueError("token and app_id are required for message encryption")
        self.token = token
        self.app_id = app_id
        self._keys = [decode_aes_key(encoding_aes_key)]
        if previous_key:
            self._keys.append(decode_aes_key(previous_key))

    def decrypt(self, encrypt_b64: str) -> bytes:
        """The plaintext message inside an Encrypt value; tries the previous key too."""
        return self.decrypt_keyed(encrypt_b64)[0]

    def decrypt_keyed(self, encrypt_b64: str) -> tuple[bytes, int]:
        """The plaintext, and which key opened it: 0 the current, 1 the previous.

        The reply to a message is encrypted with the key that opened it: during
        a rotation WeChat may still hold only the previous key (its FAQ:
        回包时，用哪个Key解密成功，则用此Key加密对应的回包).
        """
        try:
            # validate=True refuses non-alphabet bytes instead of silently dropping them.
            ciphertext = base64.b64decode(encrypt_b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DecryptError("Encrypt is not valid base64") from exc
        if not ciphertext or len(ciphertext) % 16:
            raise DecryptError("Encrypt length is not a multiple of the AES block")
        for index, key in enumerate(self._keys):
            try:
                message, app_id = _open(key, ciphertext)
            except _BadFormat:
                continue
            if not _same(self.app_id, app_id.decode("utf-8", "replace")):
                raise AppIdMismatch()
            return message, index
        raise DecryptError("cannot decrypt Encrypt with the current or previous key")

    def encrypt(self, plaintext: bytes, nonce_bytes: bytes | None = None, *, key: int = 0) -> str:
        """Base64 Encrypt value for `plaintext`; `nonce_bytes` fixes the random prefix,
        `key` is 0 for the current key, 1 for the previous (``decrypt_keyed``)."""
        prefix = os.urandom(_RANDOM_LEN) if nonce_bytes is None else nonce_bytes
        if len(prefix) != _RANDOM_LEN:
            raise ValueError("nonce_bytes must be 16 bytes")
        body = prefix + struct.pack(">I", len(plaintext)) + plaintext + self.app_id.encode()
        encryptor = _cipher(self._keys[key]).encryptor()
        ciphertext = encryptor.update(_pad(body)) + encryptor.finalize()
        return base64.b64encode(ciphertext).decode("ascii")

    def encrypted_reply(self, xml: str, timestamp: str, nonce: str, *, key: int = 0) -> str:
        """A safe-mode reply body wrapping the reply `xml`, encrypted with `key`."""
        for name, value in (("timestamp", timestamp), ("nonce", nonce)):
            if not REPLY_FIELD.fullmatch(value):
                raise ValueError(f"{name} must be 1-64 ASCII letters or digits")
        encrypt = self.encrypt(xml.encode("utf-8"), key=key)
        signature = msg_signature(self.token, timestamp, nonce, encrypt)
        return (
            f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt>"
            f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp>"
            f"<Nonce><![CDATA[{nonce}]]></Nonce></xml>"
        )


def _cipher(key: bytes) -> Cipher[modes.CBC]:
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def _open(key: bytes, ciphertext: bytes) -> tuple[bytes, bytes]:
    """(message, app_id) from a ciphertext, or _BadFormat when the key does not fit."""
    decryptor = _cipher(key).decryptor()
    plain = _unpad(decryptor.update(ciphertext) + decryptor.finalize())
    if len(plain) < _HEADER_LEN:
        raise _BadFormat("too short")
    (length,) = struct.unpack(">I", plain[_RANDOM_LEN:_HEADER_LEN])
    if length > len(plain) - _HEADER_LEN:
        raise _BadFormat("length field past the end")
    end = _HEADER_LEN + length
    return plain[_HEADER_LEN:end], plain[end:]
