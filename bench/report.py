"""The benchmark's outputs: targets checked (✓/✗), a Markdown report, the JSON figures.

The targets live in bench/targets.yaml; a target whose figure was not measured in a run (e.g. the
model figures under --skip-model) is shown as "non mesuré", neither met nor missed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, model_validator

TARGETS_FILE = Path(__file__).with_name("targets.yaml")
OK, MISSED, UNMEASURED = "✓", "✗", "–"


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    label: str
    metric: str
    max: float | None = None
    min: float | None = None
    unit: str = ""

    @model_validator(mode="after")
    def _one_bound(self) -> Target:
        if (self.max is None) == (self.min is None):
            raise ValueError(f"target {self.id}: exactly one of max / min")
        return self

    @property
    def bound(self) -> str:
        value = self.max if self.max is not None else self.min
        return f"{'≤' if self.max is not None else '≥'} {value:g}{' ' + self.unit if self.unit else ''}"

    def met(self, value: float | None) -> bool | None:
        if value is None:
            return None
        return value <= self.max if self.max is not None else value >= self.min  # type: ignore[operator]


def load_targets(path: Path = TARGETS_FILE) -> list[Target]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [Target.model_validate(raw) for raw in data.get("targets") or []]


def lookup(results: Mapping[str, Any], dotted: str) -> Any:
    """results["a"]["b"]["c"] for "a.b.c"; None when any step is missing."""
    value: Any = results
    for key in dotted.split("."):
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value


def check_targets(results: Mapping[str, Any], targets: Sequence[Target]) -> list[dict[str, Any]]:
    checked = []
    for target in targets:
        value = lookup(results, target.metric)
        value = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        checked.append({"id": target.id, "label": target.label, "metric": target.metric, "bound": target.bound,
                        "unit": target.unit, "value": value, "ok": target.met(value)})
    return checked


# --- formatting ----------------------------------------------------------------------------------
def number(value: Any, digits: int = 0) -> str:
    """French-free plain formatting: whole numbers without decimals, else ``digits`` decimals."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and digits == 0):
        return f"{int(value)}"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def ms(value: Any) -> str:
    return number(round(value) if isinstance(value, float) else value)


def pct(value: Any) -> str:
    return "n/a" if value is None else f"{value * 100:.1f} %"


def mark(ok: bool | None) -> str:
    return UNMEASURED if ok is None else (OK if ok else MISSED)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def targets_table(checked: Sequence[Mapping[str, Any]]) -> str:
    rows = []
    for t in checked:
        value = t["value"]
        # A share or a gap (no unit, below 1) needs its decimals: 0.175, not "0".
        digits = {"points": 1, "×": 2}.get(t["unit"], 3 if isinstance(value, float) and abs(value) < 1 else 0)
        shown = "non mesuré" if value is None else f"{number(value, digits)}" + (
            f" {t['unit']}" if t["unit"] else "")
        rows.append([t["label"], t["bound"], shown, mark(t["ok"])])
    return table(["Mesure", "Cible", "Mesuré", ""], rows)


def _skipped(section: Any) -> str | None:
    if section is None:
        return "non mesuré"
    if isinstance(section, Mapping) and (section.get("skipped") or section.get("error")):
        return f"non mesuré ({section.get('skipped') or 'erreur : ' + str(section.get('error'))})"
    return None


def _ingest(section: Mapping[str, Any]) -> str:
    rows = []
    names = {"cold": "à froid (index vide, modèle chargé)", "unchanged": "relance sans changement",
             "changed": f"un document modifié ({section.get('changed_file', '?')})"}
    for key, label in names.items():
        f = section.get(key) or {}
        rows.append([label, number(f.get("seconds"), 2), number(f.get("chunks")), number(f.get("embedded")),
                     number(f.get("reused")), number(f.get("updated", 0) + f.get("added", 0))])
    text = table(["Indexation", "secondes", "passages", "vectorisés", "réutilisés", "documents (ré)indexés"], rows)
    return text + f"\n\nChargement du modèle d'embedding (hors mesures) : {number(section.get('model_load_s'), 1)} s."


def _retrieval(section: Mapping[str, Any]) -> str:
    rows = [[label, number(s.get("n")), ms(s.get("p50_ms")), ms(s.get("p95_ms"))]
            for label, s in (("recherche hybride, sans cache", section.get("uncached") or {}),
                             ("recherche hybride, question en cache", section.get("cached") or {}),
                             ("embedding de la question seul, sans cache", section.get("embedding") or {}))]
    note = "" if section.get("cache_cleared") else "\n\nAttention : le cache des questions n'a pas pu être vidé."
    return (f"{section.get('cases')} questions de {section.get('suite')}, k = {section.get('k')}, "
            f"mode {section.get('mode')}.\n\n" + table(["Recherche", "n", "p50 ms", "p95 ms"], rows) + note)


def _answers(section: Mapping[str, Any]) -> str:
    rows = []
    for backend, f in section.items():
        if not isinstance(f, Mapping) or _skipped(f):
            rows.append([backend, _skipped(f) or "", "", "", "", "", "", "", ""])
            continue
        answer, first = f.get("answer") or {}, f.get("first_token") or {}
        rows.append([backend, number(f.get("questions")), ms(answer.get("p50_ms")), ms(answer.get("p95_ms")),
                     ms(first.get("p50_ms")), ms(first.get("p95_ms")), pct(f.get("pass_rate")),
                     number(f.get("unsupported_answers")), number(f.get("fallbacks"))])
    text = table(["Backend", "questions", "réponse p50 ms", "réponse p95 ms", "1er token p50 ms", "1er token p95 ms",
                  "réussite", "chiffres non étayés", "replis"], rows)
    split = [[backend, number((f.get("first_token_no_calculation") or {}).get("n")),
              ms((f.get("first_token_no_calculation") or {}).get("p50_ms")),
              number((f.get("first_token_with_calculation") or {}).get("n")),
              ms((f.get("first_token_with_calculation") or {}).get("p50_ms"))]
             for backend, f in section.items() if isinstance(f, Mapping) and f.get("first_token_no_calculation")]
    calls = [[backend, number((f.get("one_generation") or {}).get("n")), ms((f.get("one_generation") or {}).get("p50_ms")),
              ms((f.get("one_generation") or {}).get("p95_ms")), number((f.get("several_generations") or {}).get("n")),
              ms((f.get("several_generations") or {}).get("p50_ms")), ms((f.get("several_generations") or {}).get("p95_ms"))]
             for backend, f in section.items() if isinstance(f, Mapping) and (f.get("several_generations") or {}).get("n")]
    if calls:
        text += "\n\n" + table(["Backend", "un appel au modèle : n", "p50 ms", "p95 ms", "plusieurs appels : n",
                                  "p50 ms", "p95 ms"], calls)
    if split:
        text += "\n\n" + table(["Backend", "sans calcul : n", "1er token p50 ms", "avec calcul : n",
                                  "1er token p50 ms"], split)
    model = (section.get("llamacpp") or {}).get("model") if isinstance(section.get("llamacpp"), Mapping) else None
    if model:
        before = (section["llamacpp"].get("before_model") or {})
        text += (f"\n\nModèle (llamacpp) : {number(model.get('tokens_per_s_p50'), 1)} tokens/s générés (p50 par appel ; "
                 f"{number(model.get('tokens_per_s_overall'), 1)} sur l'ensemble), {number(model.get('tokens_p50'))} tokens "
                 f"par appel (p50), évaluation du prompt p50 {ms((model.get('prompt_eval') or {}).get('p50_ms'))} ms "
                 f"({number(model.get('prompt_chars_p50'))} caractères envoyés, p50), "
                 f"préparation avant le modèle p50 {ms(before.get('p50_ms'))} ms, "
                 f"{number(model.get('generations'))} appels au modèle.")
    return text


def _throughput(section: Mapping[str, Any]) -> str:
    rows = [[lv["clients"], lv["requests"], lv["errors"], number(lv.get("rps"), 2), ms(lv.get("p50_ms")),
             ms(lv.get("p95_ms"))] for lv in section.get("levels") or []]
    return (f"Serveur réel (`assistant serve`, backend {section.get('backend')}), POST /api/chat.\n\n"
            + table(["Clients simultanés", "requêtes", "erreurs", "req/s", "p50 ms", "p95 ms"], rows))


def _memory(section: Mapping[str, Any]) -> str:
    rows = []
    for backend, f in section.items():
        if _skipped(f):
            rows.append([backend, _skipped(f), "", "", ""])
        else:
            rows.append([backend, number(f.get("peak_rss_mb")), number(f.get("rss_mb")), number(f.get("ready_s"), 1),
                         number(f.get("requests"))])
    return table(["Serveur", "pic RSS (VmHWM) MiB", "RSS à la fin MiB", "démarrage → prêt s", "requêtes"], rows)


def _warm_start(section: Mapping[str, Any]) -> str:
    return (f"Serveur neuf (`assistant serve`, backend {section.get('backend')}), prêt en "
            f"{number(section.get('ready_s'), 1)} s ; puis une question à la fois (POST /api/chat).\n\n"
            + table(["Première réponse après « prêt » ms", f"médiane des {section.get('next')} suivantes ms", "rapport"],
                    [[ms(section.get("first_ms")), ms(section.get("next_median_ms")),
                      f"× {number(section.get('ratio'), 2)}"]]))


def _reference(section: Mapping[str, Any]) -> str:
    theirs = section.get("tutorial") or {}
    ours = section.get("by_backend") or {section.get("backend") or "nous": {
        **(section.get("ours") or {}), "ratios": section.get("ratios") or {},
        "pass_rate_points": section.get("pass_rate_points")}}
    default = section.get("default_backend")
    names = [f"nous ({b}{', par défaut' if b == default else ''})" for b in ours]
    rows = [["taux de réussite", *(pct(f.get("pass_rate")) for f in ours.values()), pct(theirs.get("pass_rate")),
             " ; ".join(f"{number(f.get('pass_rate_points'), 1)} points" for f in ours.values())],
            ["réponses à chiffre non étayé", *(number(f.get("unsupported_answers")) for f in ours.values()),
             number(theirs.get("unsupported_answers")), ""]]
    for label, key, ratio_key in (("réponse p50 ms", "answer_p50_ms", "answer_p50"),
                                  ("réponse p95 ms", "answer_p95_ms", "answer_p95"),
                                  ("1er token p50 ms", "first_token_p50_ms", "first_token_p50")):
        rows.append([label, *(ms(f.get(key)) for f in ours.values()), ms(theirs.get(key)),
                     " ; ".join(f"× {number((f.get('ratios') or {}).get(ratio_key), 2)}" for f in ours.values())])
    text = (f"Mêmes {section.get('questions')} questions, même modèle, même juge (evals/judge.py). "
            f"Le RAG de tutoriel : {section.get('tutorial_chunks')} passages de 1000 caractères "
            f"(index construit en {number(section.get('tutorial_index_s'), 1)} s), top-4, une invite « stuff ».\n\n")
    text += table(["", *names, "RAG de tutoriel", "nous / tutoriel"], rows)
    sanity = section.get("retrieval_sanity") or {}
    if sanity:
        verdict = "tenu" if sanity.get("ok") else "NON TENU : la référence est mal réglée, la comparaison ne vaut rien"
        text += (f"\n\nContrôle de la référence ({sanity.get('cases')} questions de retrieval-dev) : hit@1 du RAG de "
                 f"tutoriel {number(sanity.get('tutorial_hit_at_1'), 3)}, de notre recherche dense "
                 f"{number(sanity.get('ours_dense_hit_at_1'), 3)} (écart {number(sanity.get('gap'), 3)} ; "
                 f"exigé ≥ -0,05) : {verdict}.")
        if sanity.get("ours_plain_dense_hit_at_1") is not None:
            text += (f" Notre recherche dense sur la question telle qu'écrite (sans les sigles développés, "
                     f"la même entrée que le tutoriel) : {number(sanity.get('ours_plain_dense_hit_at_1'), 3)}.")
    per_suite = section.get("per_suite") or {}
    if per_suite:
        rows = [[name, s["questions"], *(pct((s.get("by_backend") or {"": s.get("ours")}).get(b, s.get("ours")))
                                         for b in ours), pct(s["tutorial"])] for name, s in per_suite.items()]
        text += "\n\n" + table(["Suite", "questions", *names, "RAG de tutoriel"], rows)
    return text


SECTIONS = (
    ("ingest", "Indexation", _ingest),
    ("retrieval", "Recherche", _retrieval),
    ("answers", "Réponses (en processus, `get_assistant().ask/stream`)", _answers),
    ("throughput", "Débit", _throughput),
    ("throughput_model", "Débit avec le modèle", _throughput),
    ("memory", "Mémoire du serveur", _memory),
    ("warm_start", "Démarrage : la première réponse après « prêt »", _warm_start),
    ("reference", "Référence : un RAG de tutoriel sur les mêmes modèles", _reference),
)


def render_markdown(results: Mapping[str, Any]) -> str:
    m = results.get("machine") or {}
    start, end = m.get("loadavg_start") or [], m.get("loadavg_end") or []
    options = results.get("options") or {}
    lines = [
        f"# Banc d'essai — {results.get('date', '')}",
        "",
        f"Machine : {m.get('cpus')} cœurs ({m.get('cpu_model', '?')}), {number(m.get('memory_total_mb'))} MiB ; "
        f"charge moyenne (1/5/15 min) au début {' / '.join(map(str, start))}, à la fin {' / '.join(map(str, end))}.",
        f"`uptime` au début : {m.get('uptime', '?')} ; variables d'exécution : "
        f"{json.dumps(m.get('runtime_env') or {}, ensure_ascii=False)}",
        f"Commit {str(results.get('git_commit') or '?')[:12]}{' (arbre modifié)' if results.get('git_dirty') else ''}"
        f" ; options : {json.dumps(options, ensure_ascii=False)} ; durée {number(results.get('seconds'))} s.",
        "",
        "## Cibles",
        "",
        targets_table(results.get("targets") or []),
    ]
    for key, title, render in SECTIONS:
        section = results.get(key)
        lines += ["", f"## {title}", ""]
        skipped = _skipped(section)
        if skipped:
            lines.append(skipped[:1].upper() + skipped[1:] + ".")
            continue
        try:
            lines.append(render(section))
        except (KeyError, TypeError, ValueError) as exc:  # a partial section must not lose the rest
            lines.append(f"(section illisible : {type(exc).__name__}: {exc})")
    return "\n".join(lines) + "\n"


def write(results: Mapping[str, Any], out_dir: Path, name: str) -> tuple[Path, Path, str]:
    """bench/results/<name>.json and .md; returns both paths and the Markdown."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / f"{name}.json", out_dir / f"{name}.md"
    json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    markdown = render_markdown(results)
    md_path.write_text(markdown, encoding="utf-8")
    return json_path, md_path, markdown
