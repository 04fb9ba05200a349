"""The second factor's pure rules (services/identity/mfa.py) and the client's TOTP device."""
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from services.devtools.gateway_client import TotpDevice
from services.identity import mfa
from services.shared.errors import Misconfigured

pytestmark = pytest.mark.unit

NOW = datetime(2026, 6, 1, 12, 0, 10, tzinfo=UTC)
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def code_at(moment: datetime) -> str:
    return pyotp.TOTP(SECRET).at(moment)


def test_who_needs_a_second_factor():
    for role in ("advisor", "community_manager", "admin"):
        assert mfa.second_factor(["member", role], enrolled=False) == mfa.SETUP
        assert mfa.second_factor(["member", role], enrolled=True) == mfa.LOGIN
    assert mfa.second_factor(["member"], enrolled=False) is None
    assert mfa.second_factor(["member"], enrolled=True) == mfa.LOGIN


def test_a_current_code_matches_its_step_once():
    step = mfa.matching_step(SECRET, code_at(NOW), NOW, last_step=None)
    assert step == mfa.step_of(NOW)
    assert mfa.matching_step(SECRET, code_at(NOW), NOW, last_step=step) is None  # replayed


def test_one_step_of_drift_either_way_and_no_more():
    for offset in (-30, 30):
        assert mfa.matching_step(SECRET, code_at(NOW + timedelta(seconds=offset)), NOW,
                                 None) is not None
    for offset in (-90, 90):
        assert mfa.matching_step(SECRET, code_at(NOW + timedelta(seconds=offset)), NOW,
                                 None) is None


def test_malformed_and_wrong_codes_never_match():
    for code in ("", "12345", "1234567", "abcdef", None):
        assert mfa.matching_step(SECRET, code, NOW, None) is None
    wrong = f"{(int(code_at(NOW)) + 1) % 1_000_000:06d}"
    assert mfa.matching_step(SECRET, wrong, NOW, None) is None


def test_recovery_codes_are_random_hashed_and_typed_loosely():
    codes = mfa.new_recovery_codes()
    assert len(codes) == len(set(codes)) == mfa.RECOVERY_CODES
    hashes = [mfa.recovery_hash(code) for code in codes]
    assert all(code not in digest for code, digest in zip(codes, hashes, strict=True))
    assert mfa.matching_recovery(codes[3].upper().replace("-", " "), hashes) == hashes[3]
    assert mfa.matching_recovery("aaaaa-aaaaa", hashes) is None


def test_secrets_are_sealed_at_rest_and_the_key_matters():
    box = mfa.SecretBox(mfa.SecretBox.generate_key())
    sealed = box.seal(SECRET)
    assert SECRET not in sealed and box.open(sealed) == SECRET
    # another key: the operators' problem, said as such (a 503 naming the key, not a 502 "bug")
    with pytest.raises(Misconfigured, match="AGORA_MFA_KEY"):
        mfa.SecretBox(mfa.SecretBox.generate_key()).open(sealed)


def test_challenges_are_opaque_and_stored_hashed():
    token, digest = mfa.new_challenge()
    assert len(token) >= 40 and token not in digest and mfa.challenge_hash(token) == digest


def test_the_otpauth_uri_names_the_issuer_and_the_account():
    uri = mfa.otpauth_uri(SECRET, "ada@example.org")
    assert uri.startswith("otpauth://totp/Agora:ada%40example.org?") and "issuer=Agora" in uri


def test_a_device_never_gives_the_same_step_twice_then_uses_recovery_codes():
    device = TotpDevice(SECRET, ["rec-one", "rec-two"])
    first, second, third = device.next_code(), device.next_code(), device.next_code()
    assert first != second and third == "rec-two"


def test_a_code_typed_in_full_width_or_other_digits_is_read_as_its_digits():
    """A phone keyboard may type "１２３４５６": compare_digest refused it with a TypeError (a
    502 at sign-in); it is the same code, and a wrong one is simply wrong."""
    code = code_at(NOW)
    full_width = "".join(chr(0xFF10 + int(digit)) for digit in code)
    arabic_indic = "".join(chr(0x0660 + int(digit)) for digit in code)
    assert mfa.matching_step(SECRET, full_width, NOW, None) == mfa.step_of(NOW)
    assert mfa.matching_step(SECRET, arabic_indic, NOW, None) == mfa.step_of(NOW)
    assert mfa.looks_like_totp(full_width)
    wrong = "".join(chr(0xFF10 + (int(digit) + 1) % 10) for digit in code)
    assert mfa.matching_step(SECRET, wrong, NOW, None) is None
