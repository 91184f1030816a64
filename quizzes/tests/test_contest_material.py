"""Contest material stays out of practice (issue 13): a question an open or upcoming contest round may give
is never drawn, graded, counted or pictured by practice, and the organiser of a public bank a contest uses
is warned."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from conftest import served_status
from quizzes import services
from quizzes.models import Attempt, PracticeAnswer, QuestionBank
from quizzes.tests.conftest import publish_round_results

pytestmark = pytest.mark.django_db


@pytest.fixture
def reserved(quiz_round):
    """Every question of the public ``bank`` is used by the open contest round ``quiz_round``."""
    return list(quiz_round.quiz.items.values_list("question", flat=True))


def _png() -> SimpleUploadedFile:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return SimpleUploadedFile("q.png", buffer.getvalue(), content_type="image/png")


def test_practice_serves_and_counts_no_reserved_question(client, bank, reserved):
    from quizzes.review import questions_approve_as_system

    extra = services.question_save(bank=bank, parsed=services.question_to_parsed(bank.questions.first()))
    questions_approve_as_system(questions=[extra], comment="test data")  # practice serves approved ones only
    for _ in range(3):
        page = client.get(reverse("practice_question", args=[bank.slug]))
        assert page.context["shown"].item.question == extra and page.context["total"] == 1
    home = client.get(reverse("practice"))
    assert [b.n for b in home.context["banks"] if b.pk == bank.pk] == [1]


def test_a_reserved_question_posted_directly_gets_404(client, bank, reserved):
    for question_id in reserved:
        form = {"question": question_id, "nonce": "abc", "q1": "x"}
        assert client.post(reverse("practice_answer", args=[bank.slug]), form).status_code == 404
    assert not PracticeAnswer.objects.exists()


def test_once_the_round_results_are_public_practice_serves_its_questions_again(client, bank, quiz_round, reserved):
    page = client.get(reverse("practice_question", args=[bank.slug]))
    assert page.status_code == 302, "the round is over but its results are not public yet: nothing to practise"
    publish_round_results(quiz_round)
    page = client.get(reverse("practice_question", args=[bank.slug]))
    assert page.status_code == 200 and page.context["total"] == len(reserved)


def test_a_reserved_image_is_not_public_but_its_participants_see_it(client, bank, quiz_round, player, player2):
    question = bank.questions.get(type="single")
    services.question_save(bank=bank, parsed=services.question_to_parsed(question), question=question, image=_png())
    from quizzes.review import questions_approve_as_system

    questions_approve_as_system(questions=[question], comment="test data")  # a new image is reviewed again
    url = reverse("question_image", args=[question.pk])
    assert client.get(url).status_code == 404, "anonymous: the public-bank door is shut while reserved"
    services.attempt_start(quiz_round=quiz_round, user=player)
    client.force_login(player)
    assert client.get(url).status_code == served_status()
    client.force_login(player2)
    assert client.get(url).status_code == 404
    publish_round_results(quiz_round)
    Attempt.objects.filter(user=player2).delete()
    assert client.get(url).status_code == served_status(), "public again once the round's results are published"


def test_the_organiser_is_warned_when_a_public_bank_feeds_a_contest(client, bank, quiz_round, organisation):
    organiser = quiz_round.round.event.created_by
    client.force_login(organiser)
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        detail = client.get(reverse("organiser_bank", args=[bank.pk]), HTTP_ACCEPT_LANGUAGE="en")
        listing = client.get(reverse("organiser_banks"), HTTP_ACCEPT_LANGUAGE="en")
    n = bank.questions.count()
    assert detail.context["withheld"].count == n
    assert detail.context["withheld"].rounds == [quiz_round.round.title]
    assert f"{n} questions are withheld from practice" in detail.content.decode()
    assert f"{n} questions withheld" in listing.content.decode()

    private = services.bank_create(organisation=organisation, title="Đề thi riêng")
    assert client.get(reverse("organiser_bank", args=[private.pk])).context["withheld"] is None
    QuestionBank.objects.filter(pk=bank.pk).update(is_public=False)
    assert client.get(reverse("organiser_bank", args=[bank.pk])).context["withheld"] is None
