"""``triloop ml run``: a tree search over experiment scripts, guided by the harness's metric (after AIDE).

Experiment 0 is the fixed baseline script, so every run starts from a working pipeline and a number
to beat. Then, until the budget or the experiment limit:

* **debug**: the newest experiment failed (traceback, bad predictions, a leak) and its chain of fixes
  is shorter than ``MAX_DEBUG``: the Refiner rewrites it from the error;
* **draft**: the scripts of a small portfolio of other model families, chosen by the data's shape
  (:mod:`triloop.ml.drafts`: a linear model on one-hot codes, class weights, a forest), each beside
  the baseline and without a model call, so the search does not only tune one model; drafts that won
  on tasks of a similar shape (recalled lessons) run first;
* **transfer**: lessons recalled from earlier tasks with data of a similar shape
  (:mod:`triloop.ml.lessons`) name changes that beat what they changed there by more than noise, and
  the model family each was made to; those to the best's family are tried once on the best script,
  without a review call;
* **improve**: otherwise the Reviewer reads the experiment table and the best script and names one
  change to try and why (JSON); the Refiner writes that child of the best experiment.

Each script is cross-validated in the sandbox by the harness (:mod:`triloop.ml.harness`), which scores
the folds itself; a newcomer becomes the best only when it beats the best on the paired folds by more
than their noise (:mod:`triloop.ml.selection`), after a rerun shows it is deterministic.
``experiments.jsonl`` is the log and makes runs resumable: a later run of the same directory goes on
from it. The LLM, sandbox and memory are injected.
"""

from __future__ import annotations

import ast
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError

from triloop import syntax
from triloop.kinds.coding.extract import blocks_of
from triloop.ml.baseline import baseline_script
from triloop.ml.context import cited, ideas_table, repeats, stored_notes, task_brief
from triloop.ml.drafts import DRAFTED, DRAFTS, draft_script, drafts_for, fits
from triloop.ml.experiments import LOG, Experiment, best_of, chain_end, chain_of, promotes, read_log
from triloop.ml.harness import ExperimentRun, audit, run_experiment
from triloop.ml.hints import api_hint, installed_libraries
from triloop.ml.leaks import leak_of
from triloop.ml.lessons import BASELINE_FAMILY, family_of, lesson_of, recall, split_carried, worked_ideas
from triloop.ml.profile import columns_summary, profile_of, read_training
from triloop.ml.prompts import DEBUG, IMPROVE, RAN_BEFORE, REPEATED, REVIEW, UNCHANGED
from triloop.ml.runner import Runner, open_runner
from triloop.ml.task import MLTask

MAX_DEBUG = 2
SCRIPT_TOKENS = 900
TRANSFERS = 2  # recalled winning changes (drafts not counted) tried before the Reviewer is asked
TRANSFERRED = "beat what it changed on "  # the why of a transferred idea (and how the log tells them)


class Idea(BaseModel):
    idea: str
    why: str = ""
    lesson: str = ""


class Planned(NamedTuple):
    """The next experiment, before it runs."""

    action: str
    parent: int | None
    idea: str
    why: str
    script: str | None
    tokens: int = 0
    lesson: str = ""


def script_of(text: str) -> str | None:
    """The last code block of a reply that parses as Python."""
    for block in reversed(blocks_of(text)):
        try:
            syntax.parse(block)
        except SyntaxError:
            continue
        return block if block.endswith("\n") else block + "\n"
    return None


def same_program(a: str, b: str) -> bool:
    """Whether two scripts are the same program (comments and layout aside)."""
    try:
        return ast.dump(ast.parse(a)) == ast.dump(ast.parse(b))
    except SyntaxError:
        return a.strip() == b.strip()


class MLRun:
    """One ML task directory's experiment loop."""

    def __init__(
        self,
        llm: Any,
        sandbox: Any,
        root: Path,
        task: MLTask,
        *,
        on_experiment: Callable[[Experiment], None] | None = None,
        memory: Any = None,
        drafts: bool = True,
    ) -> None:
        self.llm, self.sandbox, self.root, self.task = llm, sandbox, root, task
        self.drafts = drafts  # try the portfolio's other model families first (see ml.drafts)
        self.on_experiment = on_experiment
        self.memory = memory  # StoreMemory: lessons of similar earlier tasks in, this task's lesson out
        features, target = read_training(root, task)
        self.profile = profile_of(task, features, target)
        self._columns = columns_summary(features)  # in every prompt's brief
        self.recalled = recall(memory, self.profile, task.goal) if memory is not None else []
        self.lessons = "\n".join(r.render() for r in self.recalled)
        self._libraries: list[str] | None = None  # what the sandbox can import, probed once
        # API hints the sandbox gave (this run's, and those earlier tasks stored with their lessons)
        self._api_notes = list(dict.fromkeys(stored_notes(self.lessons)))
        self.experiments = read_log(root)
        self._runner: Runner | None = None  # while run() goes: the session the experiments share
        self._minutes = task.budget_minutes
        self._deadline: float | None = None  # while run() goes: when its time is up (monotonic)

    # --- one step ----------------------------------------------------------------------------------

    def _ask(self, prompt: str, *, max_tokens: int, temperature: float = 0.0) -> tuple[str, int]:
        reply = self.llm.complete(
            [{"role": "user", "content": prompt}],
            role="solver",
            temperature=temperature,
            max_tokens=max_tokens,
        )
        return reply.text, reply.prompt_tokens + reply.completion_tokens

    def _code(self, e: Experiment) -> str:
        return (self.root / e.code_path).read_text(encoding="utf-8")

    def _next(self) -> Planned | None:
        """The next experiment: what to run and why."""
        if not self.experiments:
            return Planned(
                "baseline", None, "baseline: default HistGradientBoosting", "", baseline_script(self.task)
            )
        if self._libraries is None:
            self._libraries = installed_libraries(self.sandbox)
        brief = task_brief(self.task, self.profile.describe(), self._columns, self._libraries)
        if self._api_notes:
            brief += (
                "API notes (checked in the sandbox):\n"
                + "\n".join(f"- {n}" for n in self._api_notes[-3:])
                + "\n"
            )
        last = self.experiments[-1]
        if last.status != "ok" and self._debug_depth(last) < MAX_DEBUG:
            return self._debug(brief, last)
        if (draft := self._draft()) is not None:  # another model family, beside the baseline
            name, key, why = draft
            base = chain_end(self.experiments[0], self.experiments)[0]  # the baseline, or its last fix
            return Planned("draft", base.id, name, why, draft_script(name, self.task), 0, key)
        best = best_of(self.task, self.experiments)
        if best is None:  # the baseline, its fixes and the drafts failed: nothing to improve on
            return None
        if (transfer := self._transfer(best)) is not None:
            key, idea, source = transfer
            script, tokens = self._improve(brief, best, idea)
            return Planned("improve", best.id, idea, f"{TRANSFERRED}{source}", script, tokens, key)
        return self._review(brief, best)

    def _debug(self, brief: str, last: Experiment) -> Planned:
        code = self._code(last)
        hint = api_hint(self.sandbox, code, last.detail, installed=self._libraries)
        if hint and hint not in self._api_notes:  # what the sandbox said stays in every later prompt
            self._api_notes.append(hint)
        prompt = DEBUG.format(
            task=brief,
            code=code,
            error=last.detail[-1200:],
            hint=f"Checked in the sandbox: {hint}\n" if hint and hint not in brief else "",
        )
        script, tokens = self._script(prompt, code)
        fix = f"fix: {last.detail.strip().splitlines()[-1][:120] if last.detail else ''}"
        return Planned("debug", last.id, fix, "", script, tokens)

    def _review(self, brief: str, best: Experiment) -> Planned:
        """The Reviewer names one change to the best script; the Refiner writes it."""
        lessons = f"Lessons from similar tasks:\n{self.lessons[:900]}\n" if self.lessons else ""
        review = REVIEW.format(
            task=brief,
            lessons=lessons,
            lesson_field=', "lesson": "<L1, L2, ... : the lesson it follows, or empty>"' if lessons else "",
            metric=self.task.metric,
            direction=self.task.direction,
            table=ideas_table(self.task, self.experiments),
            best_id=best.id,
            code=self._code(best),
            output=f"What it printed (last lines):\n{best.output[-300:]}\n" if best.output.strip() else "",
            minutes_left=self._minutes_left(),
            minutes=self._minutes,
            timeout=self.task.experiment_timeout_s,
        )
        text, spent = self._ask(review, max_tokens=160, temperature=0.7)
        idea = _idea(text)
        if (tried := repeats(idea.idea, self.experiments)) is not None:  # small models repeat themselves
            text, more = self._ask(review + REPEATED.format(idea=tried), max_tokens=160, temperature=1.0)
            idea, spent = _idea(text), spent + more
        script, tokens = self._improve(brief, best, idea.idea)
        lesson = cited(idea.lesson, [r.key for r in self.recalled])  # only a lesson it was given counts
        return Planned("improve", best.id, idea.idea, idea.why, script, spent + tokens, lesson)

    def _improve(self, brief: str, best: Experiment, idea: str) -> tuple[str | None, int]:
        code = self._code(best)
        prompt = IMPROVE.format(
            task=brief, metric=self.task.metric, score=f"{best.metric:.4f}", code=code, idea=idea
        )
        return self._script(prompt, code)

    def _draft(self) -> tuple[str, str, str] | None:
        """The next draft not tried in this run: (name, lesson key, why). Drafts that won on tasks of a
        similar shape (recalled lessons) come first, then the portfolio's for this shape
        (:mod:`triloop.ml.drafts`); none when drafts are off."""
        if not self.drafts:
            return None
        recalled = [
            (idea, r.key, f"{TRANSFERRED}{r.task}")
            for r in self.recalled
            for idea in r.worked
            if fits(idea, self.profile, self.task.metric)
        ]
        portfolio = [(d, "", DRAFTED) for d in drafts_for(self.profile, self.task.metric)]
        tried = self._tried()
        return next((d for d in recalled + portfolio if d[0] not in tried), None)

    def _tried(self) -> set[str]:
        return {e.idea for e in self.experiments}

    def _transfer(self, best: Experiment) -> tuple[str, str, str] | None:
        """The next recalled winning change to the best's model family not tried in this run yet:
        (lesson key, idea, its task). "C=0.1" that helped a linear model elsewhere is no idea for
        gradient boosting, so a lesson names the family each change was made to."""
        transferred = [e for e in self.experiments if e.action == "improve" and e.why.startswith(TRANSFERRED)]
        if len(transferred) >= TRANSFERS:
            return None
        tried = self._tried()
        family = family_of(best, self.experiments)
        for r in self.recalled:
            for carried in r.worked:
                on, idea = split_carried(carried)
                if idea in DRAFTS:
                    continue  # a draft: see _draft
                if (on or BASELINE_FAMILY) == family and idea not in tried:  # older lessons name no family
                    return r.key, idea, r.task
        return None

    def _script(self, prompt: str, parent: str) -> tuple[str | None, int]:
        """The script of the reply to ``prompt``; a reply that returns ``parent`` unchanged, or a
        program an earlier experiment ran (it would only fail again, or score the same: the 1.5B
        proposed the same random forest four times in other words), is asked once more, sampled,
        with that said."""
        text, tokens = self._ask(prompt, max_tokens=SCRIPT_TOKENS)
        script = script_of(text)
        if script is None:
            return None, tokens
        if same_program(script, parent):
            note = UNCHANGED
        elif (ran := self._ran_before(script)) is not None:
            note = RAN_BEFORE.format(id=ran.id)
        else:
            return script, tokens
        again, more = self._ask(prompt + note, max_tokens=SCRIPT_TOKENS, temperature=0.8)
        return script_of(again) or script, tokens + more

    def _ran_before(self, script: str) -> Experiment | None:
        """The earlier experiment that ran this same program, if any."""
        for e in self.experiments:
            path = self.root / e.code_path
            if path.is_file() and same_program(script, path.read_text(encoding="utf-8")):
                return e
        return None

    def _minutes_left(self) -> float:
        if self._deadline is None:
            return self._minutes
        return max(0.0, (self._deadline - time.monotonic()) / 60)

    def _debug_depth(self, e: Experiment) -> int:
        return len(chain_of(e, self.experiments)) - 1

    def step(self) -> Experiment | None:
        """Plan, run and log the next experiment; None when there is nothing left to try (the
        baseline and its fixes failed)."""
        planned = self._next()
        if planned is None:
            return None
        action, parent, idea, why, script, tokens, lesson = planned
        eid = len(self.experiments)
        folder = self.root / "experiments" / f"{eid:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        if script is None:
            run = ExperimentRun(status="failed", detail="the reply had no Python script that parses")
            (folder / "experiment.py").write_text("# no script in the reply\n", encoding="utf-8")
        elif (leak := leak_of(script)) is not None:
            run = ExperimentRun(status="leak", detail=f"not run: the script {leak}")
            (folder / "experiment.py").write_text(script, encoding="utf-8")
        else:
            where = self._runner or self.sandbox
            run = run_experiment(where, self.root, self.task, script, keep=folder)
            if run.status == "ok" and promotes(self.task, run.folds, best_of(self.task, self.experiments)):
                run = audit(where, self.root, self.task, script, folder) or run  # only a new best is rerun
        experiment = Experiment(
            id=eid,
            parent=parent,
            action=action,  # type: ignore[arg-type]
            idea=idea,
            why=why,
            lesson=lesson,
            code_path=str((folder / "experiment.py").relative_to(self.root)),
            status=run.status,
            metric=run.metric,
            folds=run.folds,
            train_metric=run.train_metric,
            duration_s=round(run.duration_s, 2),
            detail=run.detail[-1500:],
            output=run.output[-600:],
            tokens=tokens,
        )
        with (self.root / LOG).open("a", encoding="utf-8") as fh:
            fh.write(experiment.model_dump_json() + "\n")
        self.experiments.append(experiment)
        if self.on_experiment is not None:
            self.on_experiment(experiment)
        return experiment

    def lesson(self) -> str:
        """What this task taught, in a few lines a later task can act on (:func:`lessons.lesson_of`)."""
        return lesson_of(self.task, self.profile, self.experiments, self._api_notes)

    def remember(self) -> None:
        """Store this task's lesson, with its data profile, as an ML experience (when there is a memory)."""
        if self.memory is None:
            return
        from triloop.graphs.memory import Experience

        best = best_of(self.task, self.experiments)
        worked = worked_ideas(self.task, self.experiments)
        self.memory.record_experience(
            Experience(
                task=f"ML task {self.task.name} ({self.profile.describe()}): {self.task.goal}",
                kind="ml",
                strategy="ml-tree",
                answer="\n".join(worked),  # what a similar task tries first
                verified=bool(worked),
                score=best.metric if best else None,
                stopped_by="budget",
                lesson=self.lesson(),
                failures=self._failures(),
                profile=self.profile.model_dump(),
            )
        )

    def _failures(self) -> list[str]:
        """Each distinct error once (its last line, not the traceback); API notes live in the lesson."""
        errors = [
            e.detail.strip().splitlines()[-1][:160] for e in self.experiments if e.status != "ok" and e.detail
        ]
        return list(dict.fromkeys(errors))[:4]

    def run(self, *, budget_minutes: float | None = None, max_experiments: int = 20) -> Experiment | None:
        """Experiments until the time budget or ``max_experiments`` (counting earlier ones); the best."""
        self._minutes = budget_minutes or self.task.budget_minutes
        self._deadline = deadline = time.monotonic() + 60 * self._minutes
        with open_runner(self.sandbox) as runner:  # one session for all experiments (see ml.runner)
            self._runner = runner
            try:
                while len(self.experiments) < max_experiments and time.monotonic() < deadline:
                    if self.step() is None:
                        break
            finally:
                self._runner = None
        return best_of(self.task, self.experiments)


def _idea(text: str) -> Idea:
    found = re.search(r"\{.*\}", text, flags=re.DOTALL)
    if found:
        try:
            return Idea.model_validate(json.loads(found.group(0)))
        except (json.JSONDecodeError, ValidationError):
            pass
    # not JSON (or cut off): its idea field if it got that far, else its first line of words
    if (quoted := re.search(r'"idea"\s*:\s*"([^"]+)', text)) is not None:
        return Idea(idea=quoted.group(1)[:200])
    words = [
        line.strip() for line in text.splitlines() if re.search(r"[A-Za-z]{3}", line) and "```" not in line
    ]
    return Idea(idea=words[0][:200] if words else "tune the model's hyperparameters")
