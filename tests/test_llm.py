"""Backends by settings: none for extractive, a script for fake, ChatOpenAI for openai, errors as ModelUnavailable."""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.llm import ModelUnavailable, build_chat_model, describe, generation_slot


def test_extractive_has_no_model() -> None:
    assert build_chat_model(Settings(llm_backend="extractive")) is None


def test_fake_plays_its_script_or_echoes() -> None:
    scripted = build_chat_model(Settings(llm_backend="fake", fake_responses=["Bonjour [1]."]))
    assert scripted is not None and scripted.invoke("x").content == "Bonjour [1]."
    echo = build_chat_model(Settings(llm_backend="fake"), echo=lambda: "Réponse extractive.")
    assert echo is not None and echo.invoke("x").content == "Réponse extractive."


def test_openai_backend_uses_the_settings() -> None:
    settings = Settings(llm_backend="openai", openai_base_url="http://127.0.0.1:9/v1", openai_model="m", llm_timeout=3)
    model = build_chat_model(settings)
    assert model is not None
    assert model.model_name == "m" and str(model.openai_api_base).startswith("http://127.0.0.1:9")
    assert describe(settings)["backend"] == "openai"


def test_missing_gguf_is_reported_as_unavailable(tmp_path) -> None:
    settings = Settings(llm_backend="llamacpp", model_dir=tmp_path, llm_model="absent.gguf")
    with pytest.raises(ModelUnavailable):
        build_chat_model(settings)


def test_generation_slot_is_a_semaphore() -> None:
    settings = Settings(generation_concurrency=1)
    with generation_slot(settings):
        pass  # re-acquirable after release
    with generation_slot(settings):
        pass
