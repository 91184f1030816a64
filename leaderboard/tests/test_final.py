"""Results by the full chain, per round and per event; published means final (issue 13)."""

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from contests import services as contest_services
from leaderboard import ranking, results, services, standings
from leaderboard.models import Certificate, Correction, ResultRow, ResultSet, Score

pytestmark = pytest.mark.django_db
PREDICTION_CHAIN = [ranking.POINTS, ranking.PREDICTION, ranking.TIME_USED, ranking.REGISTERED_AT]


@pytest.fixture
def weekly(make_event, make_user, complete_profile, now):
    """A prediction round: five on full marks (the real count), who differ only by prediction and time."""
    event = make_event(state="open", rounds=1)
    rnd = event.rounds.get()
    services.board_configure(rnd=rnd, chain=PREDICTION_CHAIN, hidden_until_close=True)
    # (points, prediction, time used ms, category)
    plan = [
        (10, 5, 9000, "pupil"),  # exact prediction
        (10, 5, 9000, "pupil"),  # equal on points, prediction and time: only registration splits them
        (10, 7, 1000, "teacher"),  # error 2
        (10, 4, 5000, "teacher"),  # error 1
        (10, 5, 8000, "pupil"),  # exact and faster: first
        (9, 5, 100, "pupil"),
    ]
    people = []
    for index, (points, prediction, time_ms, category) in enumerate(plan):
        profile = {**complete_profile(f"+8491200050{index}"), "full_name": f"Người {index}", "category": category}
        user = make_user(f"w{index}@example.vn", profile=profile)
        services.score_record(
            rnd=rnd,
            user=user,
            points=Decimal(points),
            max_points=Decimal(10),
            submitted_at=now,
            time_used_ms=time_ms,
            prediction=prediction,
        )
        people.append(user)
    rnd.people = people
    rnd.after = rnd.closes_at + dt.timedelta(days=1)
    return rnd


def test_round_results_follow_the_whole_chain_with_the_real_full_marks_count(weekly, organiser):
    result_set = results.round_results_publish(
        rnd=weekly, by=organiser, prizes={"first": 1, "second": 2, "third": 1}, now=weekly.after
    )
    assert result_set.full_marks_count == 5 and result_set.round_id == weekly.pk and result_set.event_id is None
    rows = {r.user_id: r for r in result_set.rows.all()}
    p = [u.pk for u in weekly.people]
    assert [(rows[u].rank, rows[u].prize) for u in p] == [
        (2, "second"),
        (3, "second"),  # not equal on every key (registration): no shared rank, no shared prize
        (5, ""),
        (4, "third"),
        (1, "first"),
        (6, ""),
    ]


def test_only_rows_equal_on_every_key_share_a_rank_and_a_prize():
    at = dt.datetime(2026, 10, 2, tzinfo=dt.UTC)
    chain = [ranking.POINTS, ranking.TIME_USED, ranking.REGISTERED_AT]
    rows = [
        standings.Ranked(user_id=1, section="", keys=(Decimal(10), 5, at)),
        standings.Ranked(user_id=2, section="", keys=(Decimal(10), 5, at)),
        standings.Ranked(user_id=3, section="", keys=(Decimal(10), 5, at + dt.timedelta(seconds=1))),
    ]
    ranked = standings.rank_and_award(rows, chain=chain, prizes={"first": 1, "second": 1})
    assert [(r.user_id, r.rank, r.prize) for r in ranked] == [(1, 1, "first"), (2, 1, "first"), (3, 3, "second")]


def test_prize_lists_per_category(weekly, organiser):
    with translation.override("en"):  # a section is stored as published, in the publisher's language
        result_set = results.round_results_publish(
            rnd=weekly, by=organiser, prizes={"first": 1}, split_by="category", now=weekly.after
        )
    winners = {(r.section, r.user_id) for r in result_set.rows.filter(prize="first")}
    assert winners == {("Pupil", weekly.people[4].pk), ("Teacher", weekly.people[3].pk)}


def test_a_round_publishes_only_once_its_board_is_public(weekly, organiser, now):
    with pytest.raises(ValidationError):
        results.round_results_publish(rnd=weekly, by=organiser, prizes={"first": 1}, now=now)
    assert not ResultSet.objects.exists()


def test_event_totals_break_ties_by_summed_prediction_error_then_time(weekly, organiser, make_user, now):
    event = weekly.event
    contest_services.event_transition(event=event, to_state="closed", by=organiser)
    event.refresh_from_db()
    result_set = results.results_publish(event=event, by=organiser, prizes={"first": 1, "second": 1})
    assert result_set.chain == standings.EVENT_CHAIN
    order = [r.user_id for r in result_set.rows.order_by("rank")]
    p = [u.pk for u in weekly.people]
    assert order == [p[4], p[0], p[1], p[3], p[2], p[5]]
    assert result_set.rows.get(user_id=p[0]).keys[:3] == ["10.00", 0, 9000]


def test_score_record_refuses_a_published_round(weekly, organiser, now):
    results.round_results_publish(rnd=weekly, by=organiser, prizes={"first": 1}, now=weekly.after)
    with pytest.raises(services.ResultsFinal):
        services.score_record(
            rnd=weekly, user=weekly.people[5], points=Decimal(10), max_points=Decimal(10), submitted_at=now
        )
    assert Score.objects.get(round=weekly, user=weekly.people[5]).points == Decimal(9)


def test_no_write_below_the_services_reaches_a_published_round(weekly, organiser):
    result_set = results.round_results_publish(rnd=weekly, by=organiser, prizes={"first": 1}, now=weekly.after)
    score = Score.objects.get(round=weekly, user=weekly.people[5])
    row = result_set.rows.get(user=weekly.people[5])
    attempts = [
        lambda: Score.objects.filter(round=weekly).update(points=Decimal(10)),
        lambda: Score.objects.filter(round=weekly).delete(),
        lambda: Score.objects.bulk_update([score], ["points"]),
        lambda: score.save(),
        lambda: row.save(),
        lambda: ResultRow.objects.filter(pk=row.pk).update(rank=1, prize="first"),
        lambda: ResultRow.objects.bulk_update([row], ["prize"]),
        lambda: ResultRow.objects.filter(pk=row.pk).delete(),
        lambda: result_set.save(),
        lambda: ResultSet.objects.filter(pk=result_set.pk).update(prizes={}),
    ]
    for attempt in attempts:
        with pytest.raises(services.ResultsFinal):
            attempt()
    assert ResultRow.objects.filter(pk=row.pk).update(full_name="Nguyễn Văn Sửa") == 1, "a name is not a result"


WRITERS = re.compile(
    r"\b(Score|ResultRow|ResultSet)(\.objects\.[a-z_().=\"', ]*\b(update|delete|bulk_create|bulk_update|create|"
    r"update_or_create|get_or_create)\(|\()"
)


def test_only_the_leaderboard_services_write_scores_and_results():
    """The guard catches writes at run time; this pins that no module but the services even tries."""
    allowed = {"leaderboard/services.py", "leaderboard/results.py", "leaderboard/models.py", "leaderboard/final.py"}
    root = Path(settings.BASE_DIR)
    offenders = []
    for path in root.glob("*/**/*.py"):
        relative = path.relative_to(root).as_posix()
        if relative.split("/")[0] in {".venv", "node_modules", "tests", "bench"} or "/tests/" in relative:
            continue
        if "/migrations/" in relative or relative in allowed:
            continue
        if WRITERS.search(path.read_text(encoding="utf-8")):
            offenders.append(relative)
    assert offenders == []


def test_a_correction_re_ranks_re_awards_and_reissues_certificates(client, weekly, organiser):
    result_set = results.round_results_publish(
        rnd=weekly, by=organiser, prizes={"first": 1, "second": 1}, now=weekly.after
    )
    results.certificates_issue(result_set=result_set)
    first = result_set.rows.get(user=weekly.people[4])
    old = Certificate.objects.get(row=first)
    results.result_correct(row=first, total=Decimal(8), reason="Câu 7 chấm sai", by=organiser)
    assert Score.objects.get(round=weekly, user=weekly.people[4]).points == Decimal(8), "the board follows"
    rows = {r.user_id: r for r in result_set.rows.all()}
    assert (rows[weekly.people[0].pk].rank, rows[weekly.people[0].pk].prize) == (1, "first")
    assert (rows[weekly.people[1].pk].rank, rows[weekly.people[1].pk].prize) == (2, "second")
    assert (rows[weekly.people[4].pk].rank, rows[weekly.people[4].pk].prize) == (6, "")
    old.refresh_from_db()
    assert old.revoked and old.revoked_reason == "Câu 7 chấm sai" and old.replaced_by is None
    promoted = Certificate.objects.get(row__user=weekly.people[0], revoked=True)
    replacement = promoted.replaced_by
    assert replacement.row.prize == "first" and not replacement.revoked
    assert Correction.objects.filter(field="prize").count() == 3
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("certificate_verify", args=[promoted.code])).content.decode()
    assert "revoked" in page and replacement.code in page and promoted.revoked_reason in page
    api = client.get(reverse("api_certificate", args=[promoted.code])).json()
    assert api["valid"] is False and api["replaced_by"] == replacement.code and api["round"] == weekly.title
    assert client.get(reverse("api_certificate", args=[replacement.code])).json()["valid"] is True


def test_verify_results_rechecks_a_round_snapshot_totals_ranks_and_prizes(weekly, organiser, monkeypatch):
    from django.core.management import CommandError, call_command

    from leaderboard import recompute
    from leaderboard.final import final_writes

    monkeypatch.setitem(  # the quiz app's recomputer needs attempts; here the scores are the raw data
        recompute.RECOMPUTERS,
        weekly.kind,
        lambda rnd: dict(Score.objects.filter(round=rnd).values_list("user", "points")),
    )
    result_set = results.round_results_publish(rnd=weekly, by=organiser, prizes={"first": 1}, now=weekly.after)
    call_command("verify_results", str(weekly.pk))
    with final_writes():  # what an edit of the database behind the services' back would do
        ResultRow.objects.filter(result_set=result_set, user=weekly.people[0]).update(prize="first", rank=1)
    with pytest.raises(CommandError, match="2 differences"):
        call_command("verify_results", str(weekly.pk))


def test_organiser_publishes_a_round_and_the_public_page_shows_it_with_the_tie_rule(
    client, weekly, organiser, monkeypatch
):
    client.force_login(organiser)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse("organiser_round_results", args=[weekly.pk])
    page = client.get(url)
    assert page.status_code == 200 and page.context["count"] == 6
    assert "only participants equal on every criterion" in page.content.decode()
    form = {"first": 1, "second": 1, "third": 0, "consolation": 0, "split_by": ""}
    client.post(url, form)
    assert not ResultSet.objects.exists(), "the board of an open prediction round is not public yet"
    monkeypatch.setattr("leaderboard.results.timezone.now", lambda: weekly.after)
    client.post(url, form)
    result_set = ResultSet.objects.get(round=weekly)
    assert result_set.rows.filter(prize="first").get().user == weekly.people[4]
    client.post(reverse("certificates_issue", args=[weekly.event.pk]), {"result_set": result_set.pk})
    assert Certificate.objects.filter(row__result_set=result_set).count() == 2
    public = client.get(reverse("event_results", args=[weekly.event.slug]))
    assert public.status_code == 200 and [s["set"] for s in public.context["result_sets"]] == [result_set]
    assert "only participants equal on every criterion" in public.content.decode()


def _recompute_from_scores(monkeypatch, rnd):
    from leaderboard import recompute

    monkeypatch.setitem(  # the quiz app's recomputer needs attempts; here the scores are the raw data
        recompute.RECOMPUTERS,
        rnd.kind,
        lambda r: dict(Score.objects.filter(round=r).values_list("user", "points")),
    )


def test_a_disqualification_passes_the_prize_on_and_survives_later_corrections(weekly, organiser, monkeypatch):
    from django.core.management import call_command

    _recompute_from_scores(monkeypatch, weekly)
    result_set = results.round_results_publish(
        rnd=weekly, by=organiser, prizes={"first": 1, "second": 1}, now=weekly.after
    )
    winner, runner_up, third = (result_set.rows.get(rank=r) for r in (1, 2, 3))
    results.result_correct(row=winner, prize="", reason="Gian lận", by=organiser)
    prizes = dict(result_set.rows.values_list("user_id", "prize"))
    assert prizes[winner.user_id] == "" and prizes[runner_up.user_id] == "first" and prizes[third.user_id] == "second"
    last = result_set.rows.order_by("-rank").first()
    results.result_correct(row=last, total=Decimal("9.50"), reason="Câu 3 chấm lại", by=organiser)
    prizes = dict(result_set.rows.values_list("user_id", "prize"))
    assert prizes[winner.user_id] == "", "a later re-ranking keeps the disqualification"
    assert prizes[runner_up.user_id] == "first"
    call_command("verify_results", str(weekly.pk))  # the audited changes are not differences


def test_verify_results_reports_an_audited_total_correction_as_a_note(weekly, organiser, monkeypatch, capsys):
    from django.core.management import call_command

    _recompute_from_scores(monkeypatch, weekly)
    scores_before = dict(Score.objects.filter(round=weekly).values_list("user", "points"))
    monkeypatch.setitem(
        __import__("leaderboard.recompute", fromlist=["RECOMPUTERS"]).RECOMPUTERS,
        weekly.kind,
        lambda r: scores_before,  # the answers still give the old points
    )
    result_set = results.round_results_publish(rnd=weekly, by=organiser, prizes={"first": 1}, now=weekly.after)
    row = result_set.rows.get(user=weekly.people[5])
    results.result_correct(row=row, total=Decimal("9.75"), reason="Phúc khảo câu 2", by=organiser)
    call_command("verify_results", str(weekly.pk))
    out = capsys.readouterr().out
    assert "audited correction" in out and "Phúc khảo câu 2" in out and "0 differences" in out


def test_skipping_a_round_never_wins_the_event_tie_break(make_event, make_user, complete_profile, organiser, now):
    event = make_event(state="open", rounds=2)
    first, second = event.rounds.order_by("position")
    for rnd in (first, second):
        services.board_configure(rnd=rnd, chain=[ranking.POINTS, ranking.TIME_USED, ranking.REGISTERED_AT])
    skipped = make_user("bo-vong@example.vn", profile=complete_profile("+84912000602"))  # registered first
    took_both = make_user("ca-hai@example.vn", profile=complete_profile("+84912000601"))
    for user, points, rounds in ((took_both, (5, 0), (first, second)), (skipped, (5,), (first,))):
        for rnd, value in zip(rounds, points, strict=False):
            services.score_record(
                rnd=rnd, user=user, points=Decimal(value), max_points=Decimal(10), submitted_at=now, time_used_ms=60_000
            )
    contest_services.event_transition(event=event, to_state="closed", by=organiser)
    event.refresh_from_db()
    result_set = results.results_publish(event=event, by=organiser, prizes={"first": 1})
    ranked = list(result_set.rows.order_by("rank").values_list("user_id", flat=True))
    assert ranked == [took_both.pk, skipped.pk], "equal totals: the one who took the second round ranks first"
