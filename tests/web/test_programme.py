"""Programme operators: the programme's businesses and anonymised statistics (groups of fewer
than 5 businesses hidden), its advisors, and CSV exports; other programmes are a 404."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core import mail
from django.urls import reverse

from cyberbasics.web.audit.models import AuditEvent
from cyberbasics.web.businesses.models import AdvisorAccess
from cyberbasics.web.programmes.models import ProgrammeInvitation, ProgrammeRole
from cyberbasics.web.programmes.stats import Cell, programme_statistics, suppress_bands
from cyberbasics.web.programmes.testing import (
    assert_sent_to_sign_in,
    completed_review,
    give_access,
    make_advisor,
    make_business,
    make_operator,
    make_programme,
    make_user,
    sign_in,
)
from cyberbasics.web.reviews.models import AdvisorNote, Answer, Review

pytestmark = pytest.mark.django_db

TOP = ("backups.turn_on_automatic", "devices.turn_on_automatic_updates",
       "backups.keep_offline_copy", "backups.test_restore", "devices.replace_unsupported")



@pytest.fixture
def setup():
    programme = make_programme("Safer Shops")
    operator = make_operator(programme, make_user("olga@council.example"))
    advisor = make_advisor(programme, make_user("ada@advice.example"))
    elsewhere = make_programme("Other County")
    other_operator = make_operator(elsewhere, make_user("otto@county.example"))
    bakery = make_business("Bakery", programme=programme)
    give_access(bakery, advisor)
    hidden = make_business("Hidden Hairdresser", programme=elsewhere)
    return {"programme": programme, "operator": operator, "advisor": advisor,
            "elsewhere": elsewhere, "other_operator": other_operator, "bakery": bakery,
            "hidden": hidden}


def reviewed(programme, count: int, *, score: int = 65, band: str = "developing",
             actions=TOP, prefix: str = "Shop"):
    for number in range(count):
        business = make_business(f"{prefix} {number}", programme=programme)
        completed_review(business, score, band,
                         areas={"backups": 50 + number, "passwords_mfa": 80}, actions=actions)


PAGES = ["programmes:dashboard", "programmes:advisors", "programmes:export-businesses",
         "programmes:export-statistics"]


@pytest.mark.parametrize("name", PAGES)
def test_programme_pages_are_for_its_operators_only(client, setup, name):
    url = reverse(name, args=[setup["programme"].pk])
    assert_sent_to_sign_in(client.get(url))
    sign_in(client, setup["advisor"])  # an advisor of the programme is not its operator
    assert client.get(url).status_code == 404
    sign_in(client, setup["other_operator"])
    assert client.get(url).status_code == 404
    sign_in(client, setup["operator"])
    assert client.get(url).status_code == 200
    assert client.get(reverse(name, args=[setup["elsewhere"].pk])).status_code == 404


def test_programme_index(client, setup):
    assert_sent_to_sign_in(client.get(reverse("programmes:index")))
    sign_in(client, setup["advisor"])
    assert client.get(reverse("programmes:index")).status_code == 404
    sign_in(client, setup["operator"])
    response = client.get(reverse("programmes:index"))
    assert response.headers["Location"] == reverse("programmes:dashboard",
                                                   args=[setup["programme"].pk])
    make_operator(setup["elsewhere"], setup["operator"])
    page = client.get(reverse("programmes:index")).content.decode()
    assert "Safer Shops" in page and "Other County" in page


def test_dashboard_lists_businesses_but_never_scores_answers_or_notes(client, setup):
    review = completed_review(setup["bakery"], 82, "good")
    Answer.objects.create(review=review, question="backups.how", option="none",
                          note="SECRET-ANSWER-NOTE")
    AdvisorNote.objects.create(business=setup["bakery"], advisor=setup["advisor"],
                               text="SECRET-ADVISOR-NOTE")
    sign_in(client, setup["operator"])
    page = client.get(reverse("programmes:dashboard", args=[setup["programme"].pk])) \
        .content.decode()
    assert "Bakery" in page and "ada@advice.example" in page
    assert "Good" not in page and "82" not in page  # one business's score is not anonymous
    assert "Hidden Hairdresser" not in page
    assert "SECRET-ANSWER-NOTE" not in page and "SECRET-ADVISOR-NOTE" not in page
    assert "backups.how" not in page


def test_statistics_hide_groups_of_fewer_than_five(client, setup):
    reviewed(setup["programme"], 4)  # with the bakery: 5 businesses, 4 reviewed
    stats = programme_statistics(setup["programme"], "en")
    assert stats.businesses == Cell(5)
    assert stats.reviewed.hidden and stats.reviews_completed.hidden
    assert not stats.enough and stats.bands == () and stats.areas == ()
    sign_in(client, setup["operator"])
    page = client.get(reverse("programmes:dashboard", args=[setup["programme"].pk])) \
        .content.decode()
    assert "fewer than 5" in page
    assert "Average score per area" not in page


def test_statistics_from_five_reviewed_businesses(client, setup):
    reviewed(setup["programme"], 5)
    reviewed(setup["elsewhere"], 9, band="strong", score=95, prefix="Far")  # not counted
    stats = programme_statistics(setup["programme"], "en")
    assert stats.enough and stats.reviewed == Cell(5) and stats.reviews_completed == Cell(5)
    bands = {group.key: group.cell for group in stats.bands}
    assert bands["developing"] == Cell(5)
    assert all(bands[band].hidden for band in ("strong", "good", "basic", "starting"))
    areas = {group.key: group.cell.value for group in stats.areas}
    assert areas == {"backups": 52, "passwords_mfa": 80}  # (50+51+52+53+54)/5
    assert [group.key for group in stats.top_actions] == sorted(TOP)
    assert all(group.cell == Cell(5) for group in stats.top_actions)
    sign_in(client, setup["operator"])
    page = client.get(reverse("programmes:dashboard", args=[setup["programme"].pk])) \
        .content.decode()
    assert "Backups" in page and "52" in page


def test_an_action_shared_by_fewer_than_five_is_not_listed(setup):
    reviewed(setup["programme"], 5, actions=TOP[:4])
    business = make_business("Odd one", programme=setup["programme"])
    completed_review(business, 65, "developing", actions=("devices.list_devices",))
    stats = programme_statistics(setup["programme"], "en")
    keys = [group.key for group in stats.top_actions]
    assert "devices.list_devices" not in keys and len(keys) == 4


def test_only_the_latest_completed_review_of_each_business_counts(setup):
    for number in range(5):
        business = make_business(f"Shop {number}", programme=setup["programme"])
        completed_review(business, 30, "basic", days_ago=30)
        completed_review(business, 80, "good", days_ago=2)
        Review.objects.create(business=business, catalogue_version="test")  # unfinished
    stats = programme_statistics(setup["programme"], "en")
    bands = {group.key: group.cell for group in stats.bands}
    assert bands["good"] == Cell(5) and bands["basic"].hidden
    assert stats.reviews_completed == Cell(10)


def test_a_lone_hidden_band_takes_another_with_it():
    cells = suppress_bands({"strong": 0, "good": 7, "developing": 6, "basic": 9, "starting": 5})
    # "strong" alone would be known from the total: the smallest shown band is hidden too.
    assert cells["strong"].hidden and cells["starting"].hidden
    assert cells["good"] == Cell(7) and cells["basic"] == Cell(9)
    cells = suppress_bands({"strong": 0, "good": 1, "developing": 6, "basic": 9, "starting": 5})
    assert [band for band, c in cells.items() if c.hidden] == ["strong", "good"]


# --- advisors ------------------------------------------------------------------------------------

def test_operator_adds_an_existing_user_as_advisor(client, setup):
    carla = make_user("carla@advice.example")
    sign_in(client, setup["operator"])
    url = reverse("programmes:advisors", args=[setup["programme"].pk])
    assert client.post(url, {"email": "Carla@Advice.example"}).status_code == 302
    assert ProgrammeRole.objects.filter(programme=setup["programme"], user=carla,
                                        role="advisor").exists()
    event = AuditEvent.objects.get(action="role.granted")
    assert event.detail["user"] == "carla@advice.example"
    assert client.post(url, {"email": "carla@advice.example"}).status_code == 302
    assert ProgrammeRole.objects.filter(user=carla).count() == 1
    assert "carla@advice.example" in client.get(url).content.decode()


def test_operator_invites_someone_without_an_account(client, setup):
    sign_in(client, setup["operator"])
    url = reverse("programmes:advisors", args=[setup["programme"].pk])
    assert client.post(url, {"email": "new@advice.example"}).status_code == 302
    [message] = mail.outbox
    token = re.search(r"/programme/invitations/([^/\s]+)/", message.body).group(1)
    invitation = ProgrammeInvitation.objects.get()
    assert invitation.email == "new@advice.example" and invitation.token_hash != token
    assert AuditEvent.objects.filter(action="role.invited").exists()

    accept = reverse("programmes:invitation", args=[token])
    client.logout()
    assert_sent_to_sign_in(client.get(accept))
    sign_in(client, make_user("someone@else.example"))
    assert client.post(accept).status_code == 403
    newcomer = make_user("new@advice.example")
    sign_in(client, newcomer)
    assert client.get(accept).status_code == 200
    assert client.post(accept).status_code == 302
    assert ProgrammeRole.objects.filter(programme=setup["programme"], user=newcomer,
                                        role="advisor").exists()
    assert AuditEvent.objects.filter(action="role.granted").exists()
    assert client.get(accept).status_code == 404  # used up
    sign_in(client, newcomer)
    assert client.get(reverse("advice:advisor-home")).status_code == 200


def test_removing_an_advisor_ends_their_access_to_the_programmes_businesses(client, setup):
    far_business = make_business("Far", programme=setup["elsewhere"])
    give_access(far_business, setup["advisor"])
    role = ProgrammeRole.objects.get(programme=setup["programme"], user=setup["advisor"])
    url = reverse("programmes:advisor-remove", args=[setup["programme"].pk, role.pk])
    assert_sent_to_sign_in(client.post(url))
    sign_in(client, setup["other_operator"])
    assert client.post(url).status_code == 404
    assert client.post(reverse("programmes:advisor-remove",
                               args=[setup["elsewhere"].pk, role.pk])).status_code == 404
    sign_in(client, setup["operator"])
    assert client.post(url).status_code == 302
    assert not ProgrammeRole.objects.filter(pk=role.pk).exists()
    assert AuditEvent.objects.filter(action="role.revoked").exists()
    assert AdvisorAccess.objects.get(business=setup["bakery"]).revoked_at is not None
    assert AdvisorAccess.objects.get(business=far_business).revoked_at is None


# --- exports --------------------------------------------------------------------------------------

def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_businesses_export(client, setup):
    completed_review(setup["bakery"], 82, "good")
    make_business("=HYPERLINK(\"http://x\")", programme=setup["programme"])
    sign_in(client, setup["operator"])
    rows = read_csv(client.get(reverse("programmes:export-businesses",
                                       args=[setup["programme"].pk])))
    assert rows[0] == ["Business", "Country", "Advisors", "Latest completed review"]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["Bakery"][1:3] == ["GB", "ada@advice.example"]
    assert len(by_name["Bakery"]) == 4 and "Good" not in by_name["Bakery"]
    assert "'=HYPERLINK(\"http://x\")" in by_name  # a formula is never a formula
    assert "Hidden Hairdresser" not in by_name
    event = AuditEvent.objects.get(action="programme.exported")
    assert event.detail == {"programme": setup["programme"].pk, "export": "businesses"}


def test_statistics_export_is_anonymised(client, setup):
    reviewed(setup["programme"], 5)
    sign_in(client, setup["operator"])
    rows = read_csv(client.get(reverse("programmes:export-statistics",
                                       args=[setup["programme"].pk])))
    assert rows[0] == ["Statistic", "Group", "Value"]
    table = {(row[0], row[1]): row[2] for row in rows[1:]}
    assert table[("Businesses", "")] == "6"
    assert table[("Businesses with a completed review", "")] == "5"
    assert table[("Businesses in score band", "Developing")] == "5"
    assert table[("Businesses in score band", "Strong")] == "fewer than 5"
    assert table[("Average score of area", "Backups")] == "52"
    assert not any("Shop" in cell or "Bakery" in cell for row in rows for cell in row)
    assert AuditEvent.objects.filter(action="programme.exported",
                                     detail__export="statistics").exists()
