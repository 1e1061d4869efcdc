"""Just enough OpenPGP to identify a public key file the way rpm/yum do: the v4 key ID (last 32 bits
of the SHA-1 fingerprint), its creation time and user ID. The test bed's own fake keys (which carry no
real key material) are recognised by a `Comment: testbed-keyid ...` header line."""
import base64
import hashlib
import re

BEGIN = b'-----BEGIN PGP PUBLIC KEY BLOCK-----'
END = b'-----END PGP PUBLIC KEY BLOCK-----'


def fake_key(keyid, created, uid):
    """Armored text of a test-bed key (not a real OpenPGP key)."""
    body = base64.b64encode(hashlib.sha256(('%s %s %s' % (keyid, created, uid)).encode()).digest() * 8).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return ('-----BEGIN PGP PUBLIC KEY BLOCK-----\nVersion: GnuPG v1.4.5 (GNU/Linux)\n'
            'Comment: testbed-keyid %s created %s uid %s\n\n%s\n=TBED\n-----END PGP PUBLIC KEY BLOCK-----\n'
            % (keyid, created, uid, '\n'.join(lines)))


def _packets(data):
    i = 0
    while i < len(data):
        b = data[i]
        if not b & 0x80:
            return
        if b & 0x40:
            tag = b & 0x3f
            o = data[i + 1]
            if o < 192:
                ln, hl = o, 2
            elif o < 224:
                ln, hl = ((o - 192) << 8) + data[i + 2] + 192, 3
            elif o == 255:
                ln, hl = int.from_bytes(data[i + 2:i + 6], 'big'), 6
            else:
                return
        else:
            tag = (b >> 2) & 0xf
            lt = b & 3
            if lt == 0:
                ln, hl = data[i + 1], 2
            elif lt == 1:
                ln, hl = int.from_bytes(data[i + 1:i + 3], 'big'), 3
            elif lt == 2:
                ln, hl = int.from_bytes(data[i + 1:i + 5], 'big'), 5
            else:
                return
        yield tag, data[i + hl:i + hl + ln]
        i += hl + ln


def parse_key(data):
    """{'keyid': 'c105b9de', 'created': '4e0fd3a3', 'uid': '...'} or None if this is no public key."""
    if BEGIN not in data or END not in data:
        return None
    block = data.split(BEGIN, 1)[1].split(END, 1)[0]
    m = re.search(rb'Comment: testbed-keyid ([0-9a-fA-F]{8}) created ([0-9a-fA-F]{8}) uid (.*)', block)
    if m:
        return {'keyid': m.group(1).decode().lower(), 'created': m.group(2).decode().lower(),
                'uid': m.group(3).decode('utf-8', 'replace').strip()}
    lines = block.replace(b'\r', b'').split(b'\n')
    # skip armor headers (up to the first empty line)
    if b'' in lines[1:]:
        k = lines.index(b'', 1)
        if any(b':' in l for l in lines[1:k]):
            lines = lines[k + 1:]
    b64 = b''.join(l.strip() for l in lines if l.strip() and not l.startswith(b'='))
    try:
        raw = base64.b64decode(b64, validate=False)
    except Exception:
        return None
    key = None
    for tag, body in _packets(raw):
        if tag == 6 and key is None and body[:1] == b'\x04':
            fp = hashlib.sha1(b'\x99' + len(body).to_bytes(2, 'big') + body).hexdigest()
            key = {'keyid': fp[-8:], 'created': body[1:5].hex(), 'uid': '', 'fingerprint': fp}
        elif tag == 13 and key is not None and not key['uid']:
            key['uid'] = body.decode('utf-8', 'replace')
    return key
