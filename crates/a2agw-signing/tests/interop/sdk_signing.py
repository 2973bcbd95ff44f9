"""Interop harness for a2agw-signing's tests: signs and verifies agent cards with the
official A2A Python SDK (`a2a-sdk[signing]`, module `a2a.utils.signing`).

Owned by the a2agw-signing test suite (tests/it/python_sdk.rs runs it); not a
general-purpose tool. Cards are JSON on stdin, results on stdout.

    sdk_signing.py probe
        exit 0 when `a2a.utils.signing` imports; prints the SDK version.
    sdk_signing.py sign --key PRIVATE.pem --alg ES256 --kid KID
        reads a card, prints it with the SDK's signature appended.
    sdk_signing.py verify --key PUBLIC.pem --alg ES256 --kid KID
        reads a signed card; exit 0 and prints "ok" when the SDK's verifier accepts
        it, exit 1 with the reason otherwise. The key provider returns the key only
        for KID (and never fetches a jku).
"""

import argparse
import json
import sys


def _load_card(text):
    from google.protobuf.json_format import ParseDict

    from a2a.types import AgentCard

    return ParseDict(json.loads(text), AgentCard())


def _dump_card(card):
    from google.protobuf.json_format import MessageToDict

    return json.dumps(MessageToDict(card), ensure_ascii=False)


def probe():
    import a2a.utils.signing  # noqa: F401

    try:
        from importlib.metadata import version

        print(version('a2a-sdk'))
    except Exception:  # noqa: BLE001 - the version is informative only
        print('unknown')
    return 0


def sign(args):
    from a2a.utils.signing import create_agent_card_signer

    with open(args.key, 'rb') as f:
        key = f.read()
    signer = create_agent_card_signer(
        signing_key=key,
        protected_header={'alg': args.alg, 'kid': args.kid, 'typ': 'JOSE'},
    )
    card = signer(_load_card(sys.stdin.read()))
    print(_dump_card(card))
    return 0


def verify(args):
    from a2a.utils.signing import (
        SignatureVerificationError,
        create_signature_verifier,
    )

    with open(args.key, 'rb') as f:
        key = f.read()

    def key_provider(kid, jku):
        if kid != args.kid:
            raise LookupError(f'unknown kid {kid!r} (jku {jku!r} not fetched)')
        return key

    verifier = create_signature_verifier(key_provider, [args.alg])
    try:
        verifier(_load_card(sys.stdin.read()))
    except (SignatureVerificationError, LookupError) as e:
        print(f'rejected: {type(e).__name__}: {e}')
        return 1
    print('ok')
    return 0


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest='cmd', required=True)
    sub.add_parser('probe')
    for name in ('sign', 'verify'):
        p = sub.add_parser(name)
        p.add_argument('--key', required=True)
        p.add_argument('--alg', required=True)
        p.add_argument('--kid', required=True)
    args = parser.parse_args()
    if args.cmd == 'probe':
        return probe()
    if args.cmd == 'sign':
        return sign(args)
    return verify(args)


if __name__ == '__main__':
    sys.exit(main())
