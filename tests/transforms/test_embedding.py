"""The story's opening and its two embeddings (quick and full), from the encoder in the wheel."""

from __future__ import annotations

import numpy as np

from transforms.embedding import OPENING_CHARS, encode, opening_text, quick_encode


def test_the_opening_is_the_title_then_the_lead_then_the_body_without_repeats():
    opening = opening_text("Title", "Lead one. Lead two.", "Lead one. Lead two. Body three.")
    assert opening == "Title\nLead one. Lead two. Body three."


def test_the_opening_is_cut_after_its_characters():
    body = "word " * 200
    opening = opening_text("Title", "", body)
    assert opening.startswith("Title\n")
    assert len(opening) == len("Title\n") + OPENING_CHARS


def test_a_record_without_title_is_embedded_from_what_it_has():
    assert opening_text("", "Only a description.") == "Only a description."


def test_embeddings_are_unit_length_rows_and_an_empty_text_is_zero():
    texts = ["부산시, 스마트 횡단보도 설치", "Seoul expands autonomous night buses", ""]
    for encoder in (encode, quick_encode):
        vectors = encoder(texts)
        assert vectors.shape == (3, 512)
        assert np.allclose(np.linalg.norm(vectors[:2], axis=1), 1.0, atol=1e-5)
    assert not quick_encode([""]).any()


def test_the_full_encoder_puts_a_story_and_its_translation_close():
    korean, english, other = encode(
        [
            "서울시, 심야 자율주행 버스 운행 확대",
            "Seoul expands late-night autonomous bus service",
            "Stock markets fell sharply on Friday",
        ]
    )
    assert float(korean @ english) > float(korean @ other) + 0.2


def test_the_same_text_gives_the_same_vectors_in_a_batch_or_alone():
    texts = ["대전시 스마트 가로등", "Flood sensors in Busan", "IoT parking in Suwon"]
    for encoder in (encode, quick_encode):
        together = encoder(texts)
        alone = np.vstack([encoder([t]) for t in texts])
        assert np.allclose(together, alone, atol=1e-5)
