import pytest
from hypothesis import given
from hypothesis import strategies as st

from cyberbasics.scan.targets import InvalidTarget, parse_target


@pytest.mark.parametrize(("text", "domain"), [
    ("example.com", "example.com"),
    ("  Example.COM.  ", "example.com"),
    ("https://www.example.com/contact", "example.com"),
    ("http://shop.example.co.uk:8080/?q=1", "shop.example.co.uk"),
    ("www.example.com", "example.com"),
    ("example.com/about", "example.com"),
    ("info@example.org", "example.org"),
    ("bücher.example", "xn--bcher-kva.example"),
    ("xn--bcher-kva.example", "xn--bcher-kva.example"),
])
def test_accepted_inputs(text, domain):
    assert parse_target(text).domain == domain


def test_a_url_says_what_was_scanned():
    target = parse_target("https://www.example.com/contact")
    assert "example.com" in target.notice and "web address" in target.notice


@pytest.mark.parametrize(("text", "code"), [
    ("", "invalid_domain"),
    ("   ", "invalid_domain"),
    ("localhost", "invalid_domain"),
    ("com", "invalid_domain"),
    ("exa mple.com", "invalid_domain"),
    ("-bad-.com", "invalid_domain"),
    ("a" * 64 + ".com", "invalid_domain"),
    ("1.2.3.4", "ip_address"),
    ("[2001:db8::1]", "ip_address"),
    ("https://192.0.2.1/admin", "ip_address"),
    ("https:///nohost", "invalid_domain"),
    ("example.123", "invalid_domain"),
    ("[/", "invalid_domain"),  # found by Hypothesis: urlsplit raised
    ("http://[::1/x", "invalid_domain"),
])
def test_rejected_inputs_say_why(text, code):
    with pytest.raises(InvalidTarget) as caught:
        parse_target(text)
    assert caught.value.code == code
    assert caught.value.message


@given(st.text(max_size=80))
def test_any_input_gives_a_target_or_a_clear_error(text):
    try:
        target = parse_target(text)
    except InvalidTarget as exc:
        assert exc.message
    else:
        assert target.domain == target.domain.lower()
        assert all(0 < len(label) <= 63 for label in target.domain.split("."))
