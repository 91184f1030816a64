"""Organiser pages of the quizzes app: banks, questions, imports, quizzes, quiz-round settings, accommodations."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contest_site import downloads
from contests.organiser_area import form_errors_to_messages, organiser_required
from contests.selectors import (
    access_event_for_organiser,
    access_round_for_organiser,
    organisations_organised_by,
    participant_find_for_organiser,
)

from .. import selectors, services
from ..forms import (
    AccommodationForm,
    BankForm,
    ChoiceFormSet,
    ImportForm,
    QuestionForm,
    QuizForm,
    QuizRoundForm,
    RuleFormSet,
    WeeklySeriesForm,
    parsed_from_forms,
)
from ..importing.base import ImportFileError, ParsedQuestion
from ..importing.detect import FORMATS, parse_questions
from ..importing.excel import template_workbook
from ..importing.export import export_workbook
from ..models import Attempt, Question, QuestionBank, Quiz, QuizRound

IMPORT_SESSION_KEY = "question_import"


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    return downloads.attachment(content, filename=filename, content_type=downloads.XLSX)


# --- Banks ------------------------------------------------------------------------------------


@organiser_required
def bank_list(request):
    organisations = organisations_organised_by(request.user)
    banks = list(QuestionBank.objects.filter(organisation__in=organisations).annotate(n=Count("questions")))
    for bank in banks:  # a public bank used by a contest: the organiser is warned (few banks per organiser)
        bank.withheld = selectors.bank_withheld_from_practice(bank=bank)
    quizzes = Quiz.objects.filter(organisation__in=organisations).select_related("bank")
    form = BankForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organisation = organisations.filter(pk=request.POST.get("organisation")).first() or organisations.first()
        bank = services.bank_create(organisation=organisation, **form.cleaned_data)
        messages.success(request, _("Bank created. Add questions or import a file."))
        return redirect("organiser_bank", bank_id=bank.pk)
    return render(
        request,
        "quizzes/organiser/banks.html",
        {"banks": banks, "quizzes": quizzes, "form": form, "organisations": organisations},
    )


@organiser_required
def bank_detail(request, bank_id: int):
    bank = selectors.access_bank_for_organiser(user=request.user, bank_id=bank_id)
    form = BankForm(request.POST or None, instance=bank)
    if request.method == "POST" and form.is_valid():
        services.bank_update(bank=bank, **form.cleaned_data)
        messages.success(request, _("Bank saved."))
        return redirect("organiser_bank", bank_id=bank.pk)
    questions = bank.questions.annotate(n_choices=Count("choices"))
    topic = request.GET.get("topic", "")
    if topic:
        questions = questions.filter(topic=topic)
    topics = bank.questions.values("topic").annotate(n=Count("pk")).order_by("topic")
    return render(
        request,
        "quizzes/organiser/bank.html",
        {
            "bank": bank,
            "withheld": selectors.bank_withheld_from_practice(bank=bank),
            "form": form,
            "questions": questions,
            "topics": topics,
            "topic": topic,
            "waiting": bank.questions.exclude(status=Question.Status.APPROVED).count(),
        },
    )


@organiser_required
def bank_export(request, bank_id: int):
    bank = selectors.access_bank_for_organiser(user=request.user, bank_id=bank_id)
    questions = [services.question_to_parsed(q) for q in bank.questions.prefetch_related("choices")]
    return _xlsx(export_workbook(questions), f"{bank.slug}.xlsx")


@organiser_required
def import_template(request):
    return _xlsx(template_workbook(), "mau-cau-hoi.xlsx")


@organiser_required
def bank_import(request, bank_id: int):
    """Upload → preview with an error per question → confirm. Nothing is imported until the file is clean."""
    bank = selectors.access_bank_for_organiser(user=request.user, bank_id=bank_id)
    session_key = f"{IMPORT_SESSION_KEY}:{bank.pk}"
    if request.method == "POST" and "confirm" in request.POST:
        questions = [ParsedQuestion.from_dict(q) for q in request.session.get(session_key, [])]
        if not questions:
            messages.error(request, _("Upload the file again: the preview has expired."))
            return redirect("organiser_bank_import", bank_id=bank.pk)
        try:
            count = services.questions_import(bank=bank, questions=questions, by=request.user)
        except ValidationError as exc:
            form_errors_to_messages(request, exc)
            return redirect("organiser_bank_import", bank_id=bank.pk)
        request.session.pop(session_key, None)
        messages.success(request, _("Imported %(n)d questions.") % {"n": count})
        return redirect("organiser_bank", bank_id=bank.pk)
    form = ImportForm(request.POST or None, request.FILES or None)
    questions, file_format = None, None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            file_format, questions = parse_questions(upload.read(), upload.name)
        except ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            request.session[session_key] = [q.as_dict() for q in questions]
            labels = dict(Question.Type.choices)
            for question in questions:
                question.type_label = labels.get(question.type, question.type)
    return render(
        request,
        "quizzes/organiser/import.html",
        {
            "bank": bank,
            "form": form,
            "questions": questions,
            "format": FORMATS.get(file_format, ""),
            "has_errors": bool(questions) and any(q.errors for q in questions),
            "formats": FORMATS.values(),
        },
    )


# --- Questions --------------------------------------------------------------------------------


def _choice_initial(question: Question | None) -> list[dict]:
    if question is None:
        return []
    return [{"text": c.text, "is_correct": c.is_correct} for c in question.choices.order_by("position", "pk")]


def _question_form(request, bank: QuestionBank, question: Question | None):
    status_before = question.status if question else None  # the form writes its input on ``question``
    form = QuestionForm(request.POST or None, request.FILES or None, instance=question)
    choices = ChoiceFormSet(request.POST or None, initial=_choice_initial(question), prefix="choices")
    if request.method == "POST" and form.is_valid() and choices.is_valid():
        parsed = parsed_from_forms(form, choices)
        if parsed.errors:
            form.add_error(None, "; ".join(parsed.errors))
        else:
            try:
                saved = services.question_save(
                    bank=bank, parsed=parsed, question=question, image=form.cleaned_data.get("image"), by=request.user
                )
            except ValidationError as exc:
                form_errors_to_messages(request, exc, form)
            else:
                messages.success(request, _("Question saved."))
                if status_before != saved.status == Question.Status.DRAFT:
                    messages.warning(
                        request,
                        _(
                            "Its content changed, so it goes back to review as a draft: another organiser must "
                            "review and approve it again before a contest can use it."
                        ),
                    )
                return redirect("organiser_bank", bank_id=bank.pk)
    locked = question is not None and services.question_in_use(question)
    return render(
        request,
        "quizzes/organiser/question_form.html",
        {"bank": bank, "question": question, "form": form, "choices": choices, "locked": locked},
    )


@organiser_required
def question_create(request, bank_id: int):
    bank = selectors.access_bank_for_organiser(user=request.user, bank_id=bank_id)
    return _question_form(request, bank, None)


@organiser_required
def question_edit(request, question_id: int):
    question = selectors.access_question_for_organiser(user=request.user, question_id=question_id)
    return _question_form(request, question.bank, question)


@require_POST
@organiser_required
def question_delete(request, question_id: int):
    question = selectors.access_question_for_organiser(user=request.user, question_id=question_id)
    try:
        services.question_delete(question=question)
    except ValidationError as exc:
        form_errors_to_messages(request, exc)
    else:
        messages.success(request, _("Question deleted."))
    return redirect("organiser_bank", bank_id=question.bank_id)


# --- Quizzes ----------------------------------------------------------------------------------


def _rules_from(formset) -> list[tuple]:
    return [
        (f.cleaned_data.get("topic", "").strip(), f.cleaned_data.get("difficulty"), f.cleaned_data["count"])
        for f in formset.forms
        if f.cleaned_data.get("count")
    ]


def _quiz_form(request, quiz: Quiz | None):
    organisations = organisations_organised_by(request.user)
    banks = QuestionBank.objects.filter(organisation__in=organisations)
    form = QuizForm(
        request.POST or None,
        instance=quiz,
        banks=banks,
        initial={"bank": request.GET.get("bank")} if quiz is None else None,
    )
    rule_initial = (
        [{"topic": r.topic, "difficulty": r.difficulty, "count": r.count} for r in quiz.rules.all()] if quiz else []
    )
    rules = RuleFormSet(request.POST or None, initial=rule_initial, prefix="rules")
    bank = quiz.bank if quiz else banks.filter(pk=request.GET.get("bank") or 0).first() or banks.first()
    if request.method == "POST" and form.is_valid() and rules.is_valid():
        bank = form.cleaned_data["bank"]
        selection = request.POST.get("selection", "fixed")
        question_ids = [int(v) for v in request.POST.getlist("questions") if v.isdigit()]
        rule_rows = _rules_from(rules) if selection == "sampled" else []
        if selection == "sampled" and not rule_rows:
            form.add_error(None, _("Add at least one rule with a number of questions."))
        elif selection == "fixed" and not question_ids:
            form.add_error(None, _("Tick at least one question."))
        else:
            try:
                if quiz is None:
                    quiz = services.quiz_create(
                        organisation=bank.organisation,
                        bank=bank,
                        title=form.cleaned_data["title"],
                        question_ids=question_ids,
                        rules=rule_rows,
                        shuffle_questions=form.cleaned_data["shuffle_questions"],
                        shuffle_choices=form.cleaned_data["shuffle_choices"],
                    )
                else:
                    services.quiz_update(
                        quiz=quiz, fields=form.cleaned_data, question_ids=question_ids, rules=rule_rows
                    )
            except ValidationError as exc:
                form_errors_to_messages(request, exc, form)
            else:
                messages.success(request, _("Quiz saved."))
                return redirect("organiser_quiz", quiz_id=quiz.pk)
    chosen = set(quiz.items.values_list("question_id", flat=True)) if quiz else set()
    return render(
        request,
        "quizzes/organiser/quiz_form.html",
        {
            "quiz": quiz,
            "form": form,
            "rules": rules,
            "bank": bank,
            "chosen": chosen,
            "bank_questions": bank.questions.order_by("topic", "pk") if bank else [],
            "topics": sorted(set(bank.questions.values_list("topic", flat=True))) if bank else [],
            "selection": request.POST.get("selection") or (quiz.selection if quiz else "fixed"),
        },
    )


@organiser_required
def quiz_create(request):
    return _quiz_form(request, None)


@organiser_required
def quiz_edit(request, quiz_id: int):
    quiz = selectors.access_quiz_for_organiser(user=request.user, quiz_id=quiz_id)
    return _quiz_form(request, quiz)


# --- Quiz rounds ------------------------------------------------------------------------------


def _quizzes_of(event) -> object:
    return Quiz.objects.filter(organisation=event.organisation)


@organiser_required
def quiz_round_settings(request, round_id: int):
    rnd = access_round_for_organiser(user=request.user, round_id=round_id)
    quiz_round = QuizRound.objects.filter(round=rnd).first()
    form = QuizRoundForm(request.POST or None, instance=quiz_round, quizzes=_quizzes_of(rnd.event))
    if request.method == "POST" and form.is_valid():
        try:
            services.quiz_round_configure(rnd=rnd, quiz=form.cleaned_data["quiz"], settings=form.settings())
        except ValidationError as exc:
            form_errors_to_messages(request, exc, form)
        else:
            messages.success(request, _("Quiz settings saved."))
            return redirect("organiser_quiz_round", round_id=rnd.pk)
    attempts = Attempt.objects.filter(quiz_round=quiz_round) if quiz_round else Attempt.objects.none()
    summary = attempts.aggregate(
        total=Count("pk"), submitted=Count("pk", filter=Q(status="submitted")), people=Count("user", distinct=True)
    )
    grants = quiz_round.accommodations.select_related("user", "granted_by") if quiz_round else []
    return render(
        request,
        "quizzes/organiser/quiz_round.html",
        {
            "rnd": rnd,
            "event": rnd.event,
            "quiz_round": quiz_round,
            "form": form,
            "summary": summary,
            "grants": grants,
            "grant_form": AccommodationForm(),
        },
    )


@require_POST
@organiser_required
def accommodation_grant(request, round_id: int):
    rnd = access_round_for_organiser(user=request.user, round_id=round_id)
    quiz_round = QuizRound.objects.filter(round=rnd).first()
    form = AccommodationForm(request.POST)
    if quiz_round is None or not form.is_valid():
        messages.error(request, _("Fill in every field of the accommodation."))
        return redirect("organiser_quiz_round", round_id=rnd.pk)
    user = participant_find_for_organiser(user=request.user, identifier=form.cleaned_data["participant"])
    if user is None:
        messages.error(request, _("No participant has that email or phone number."))
        return redirect("organiser_quiz_round", round_id=rnd.pk)
    try:
        services.accommodation_grant(
            quiz_round=quiz_round,
            user=user,
            by=request.user,
            extra_time_percent=form.cleaned_data["extra_time_percent"],
            extra_attempts=form.cleaned_data["extra_attempts"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        form_errors_to_messages(request, exc)
    else:
        messages.success(request, _("Accommodation granted and logged."))
    return redirect("organiser_quiz_round", round_id=rnd.pk)


@organiser_required
def weekly_series(request, event_id: int):
    event = access_event_for_organiser(user=request.user, event_id=event_id)
    form = WeeklySeriesForm(request.POST or None, quizzes=_quizzes_of(event))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.quiz_rounds_create_weekly(
                event=event,
                quiz=data["quiz"],
                title_pattern=data["title_pattern"],
                first_opens_at=data["first_opens_at"],
                weeks=data["weeks"],
                open_for=dt.timedelta(hours=data["open_hours"]),
                weight=data["weight"],
                settings=form.settings(),
            )
        except ValidationError as exc:
            form_errors_to_messages(request, exc, form)
        else:
            messages.success(request, _("%(n)d weekly rounds created.") % {"n": len(created)})
            return redirect("organiser_event", event_id=event.pk)
    return render(request, "quizzes/organiser/weekly.html", {"event": event, "form": form, "now": timezone.now()})
