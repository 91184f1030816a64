"""Demo part of the quizzes app: the digital-citizenship banks, a weekly contest quiz and a playground quiz.

The demo does what an organiser should: the contest draws from a private contest bank, and the public
practice bank holds other questions. A contest round drawing from a public bank would withhold those
questions from practice until the round's results are public (``selectors.reserved_questions``), and leave nothing of
the contest's key one click away.
"""

import json
from pathlib import Path

from contests.models import Event, Organisation
from quizzes import services
from quizzes.importing.base import ParsedQuestion, validate_question
from quizzes.models import QuestionBank, QuizRound

BANK_FILE = Path(__file__).resolve().parent / "data" / "demo_bank.json"
TOPICS_PER_ATTEMPT = 2  # 8 topics × 2 = 16 questions drawn fresh for each attempt (3 per topic in the bank)


PRACTICE_SLUG = "cong-dan-so"
CONTEST_SLUG = "cong-dan-so-de-thi"


def _demo_questions(*, for_contest: bool) -> tuple[dict, list[ParsedQuestion]]:
    """Half of each topic's questions (alternately, in file order) for practice, the other half for the contest."""
    data = json.loads(BANK_FILE.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    questions = []
    for raw in data["questions"]:
        index = seen[raw.get("topic", "")] = seen.get(raw.get("topic", ""), -1) + 1
        if index % 2 == int(for_contest):
            questions.append(validate_question(ParsedQuestion.from_dict(raw)))
    return data, questions


def _load_bank(organisation: Organisation, *, slug: str, for_contest: bool) -> QuestionBank:
    bank = QuestionBank.objects.filter(slug=slug).first()
    if bank is not None:
        return bank
    data, questions = _demo_questions(for_contest=for_contest)
    bank = services.bank_create(
        organisation=organisation,
        title=f"{data['title']} – đề thi" if for_contest else data["title"],
        description="Câu hỏi dành riêng cho cuộc thi." if for_contest else data["description"],
        is_public=not for_contest,
        slug=slug,
    )
    services.questions_import(bank=bank, questions=questions)
    return bank


def load_demo_bank(organisation: Organisation) -> QuestionBank:
    """The public practice bank (every topic, half of the demo questions)."""
    return _load_bank(organisation, slug=PRACTICE_SLUG, for_contest=False)


def load_contest_bank(organisation: Organisation) -> QuestionBank:
    """The private contest bank: the other half, never shown in practice."""
    return _load_bank(organisation, slug=CONTEST_SLUG, for_contest=True)


def seed(*, stdout, now) -> None:
    department = Organisation.objects.get(slug="so-gddt-thai-nguyen")
    bank = load_demo_bank(department)
    contest_bank = load_contest_bank(department)
    topics = sorted(set(contest_bank.questions.values_list("topic", flat=True)))
    contest = Event.objects.get(slug="cong-dan-so-2023")
    contest_round = contest.rounds.filter(kind="quiz").first()
    if contest_round and not QuizRound.objects.filter(round=contest_round).exists():
        quiz = services.quiz_create(
            organisation=department,
            bank=contest_bank,
            title="Đề thi tuần – Công dân số",
            rules=[(topic, None, TOPICS_PER_ATTEMPT) for topic in topics],
        )
        services.quiz_round_configure(
            rnd=contest_round,
            quiz=quiz,
            settings={
                "time_limit_s": 15 * 60,
                "attempts_allowed": 2,
                "counting": QuizRound.Counting.BEST,
                "feedback": QuizRound.Feedback.AFTER_CLOSE,
                "prediction_prompt": "Theo bạn, có bao nhiêu người dự thi đạt điểm tuyệt đối ở vòng này?",
            },
        )
    playground = Event.objects.get(slug="san-choi-ky-nang-so")
    playground_round = playground.rounds.filter(kind="quiz").first()
    if playground_round and not QuizRound.objects.filter(round=playground_round).exists():
        first_ten = list(bank.questions.order_by("pk").values_list("pk", flat=True)[:10])
        quiz = services.quiz_create(organisation=department, bank=bank, title="Đố vui 10 câu", question_ids=first_ten)
        services.quiz_round_configure(
            rnd=playground_round,
            quiz=quiz,
            settings={
                "time_limit_s": 5 * 60,
                "attempts_allowed": 20,
                "counting": QuizRound.Counting.BEST,
                "feedback": QuizRound.Feedback.IMMEDIATE,
            },
        )
    stdout.write(f"question bank {bank.slug}: {bank.questions.count()} questions (public, practice)")
    stdout.write(f"question bank {contest_bank.slug}: {contest_bank.questions.count()} questions (private, contest)")
