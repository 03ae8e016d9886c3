"""The deterministic red-flag check catches messages that may describe an emergency, and lets questions be."""

from __future__ import annotations

import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu_components.red_flags import URGENT_INTENT, RedFlagDetector, RedFlags, sentences

URGENT = [
    "I can't breathe",
    "cant breath after my infusion",
    "my mom is having trouble breathing",
    "i'm so short of breath i can barely talk",
    "can't catch my breath since this morning",
    "he is gasping for air",
    "my chest feels tight",
    "chest pian since last night",
    "I have pain in my chest after keytruda",
    "there's pressure on my chest",
    "my husband fainted after his infusion",
    "she passed out in the kitchen",
    "dad collapsed and is unresponsive",
    "he had a seizure an hour ago",
    "i think im having a bad allergic reaction",
    "her throat is swelling up",
    "my lips and tongue are swollen",
    "anaphylaxis?? after the drip",
    "fever of 104 and shaking",
    "high fever and chills after the car t",
    "she's really confused and not making sense",
    "his speech is slurred all of a sudden",
    "i'm coughing up blood",
    "throwing up blood",
    "bleeding that wont stop",
    "severe diarrhea with blood all day",
    "I want to end it all",
    "i dont want to live anymore",
    "thinking about killing myself",
    "i want to kill myself",
    "sometimes I think about suicide",
    "i feel like hurting myself",
    "i'd be better off dead",
    "I want to die",
    "this is an emergency",
    "should i call 911",
    "I think I'm dying",
    "my wife's face is swelling after treatment",
    "im wheezing really bad",
    "can my dad get chest pain from this? he has it right now",
    "does keytruda cause trouble breathing? i cant breathe",
    "i feel like i'm going to pass out",
]

NOT_URGENT = [
    "does it cause a rash?",
    "what are the side effects of immunotherapy",
    "can immunotherapy cause breathing problems",
    "does keytruda cause chest pain",
    "is fever a side effect of car t",
    "can checkpoint inhibitors lead to shortness of breath",
    "how is immunotherapy given",
    "what is BCG",
    "I have a mild itchy rash where the needle went in",
    "how often do I get infusions",
    "is immunotherapy right for my dad",
    "what are checkpoint inhibitors",
    "thanks, that helps",
]


@pytest.fixture(scope="module")
def red_flags():
    return RedFlags()


def test_the_lists_are_long_enough():
    assert len(URGENT) >= 40


@pytest.mark.parametrize("text", URGENT)
def test_urgent_messages_are_caught(red_flags, text):
    assert red_flags.match(text) is not None


@pytest.mark.parametrize("text", NOT_URGENT)
def test_questions_and_mild_symptoms_are_not_flagged(red_flags, text):
    assert red_flags.match(text) is None


# one warning sign per category of shared/safety/urgent-symptoms.md, in everyday words
BY_CATEGORY = {
    "breathing": "my cough is getting worse and i cant catch my breath",
    "heart": "my heart is racing and skipping beats",
    "allergic_infusion": "her throat feels tight during the infusion",
    "gut": "he has had diarrhea 8 times today and feels dizzy",
    "liver": "the whites of her eyes look yellow and her pee is dark",
    "kidneys": "my ankles are swollen and i have hardly peed today",
    "hormone": "worst headache of my life and my vision is blurry",
    "skin": "my skin is blistering and peeling off",
    "nerves_muscles": "my legs feel weak and numb and its moving up",
    "brain": "my husband is confused and doesnt know what day it is",
    "car_t": "my son had car t last week and now his handwriting is a mess",
    "fever_low_counts": "i have a fever of 101 and my counts are low",
    "bleeding": "my nose bleed wont stop for an hour",
    "unresponsive": "my mom wont wake up",
    "self_harm": "i keep thinking about taking all my pills at once",
}


@pytest.mark.parametrize("category", sorted(BY_CATEGORY))
def test_every_category_of_warning_sign_is_caught(red_flags, category):
    assert red_flags.match(BY_CATEGORY[category]) is not None


def test_common_misspellings_and_dropped_gs_are_put_right(red_flags):
    assert red_flags.match("throwin up blud") == "bleeding"
    assert red_flags.match("he is shakin and has a fevr") is not None


def test_overdose_of_a_medicine_is_an_emergency_not_self_harm(red_flags):
    assert red_flags.match("what to do in case of an overdose of warfarin") == "emergency"
    assert red_flags.match("i want to overdose") == "self_harm"


def detector(red_flags):
    return RedFlagDetector(RedFlagDetector.get_default_config(), None, None, red_flags=red_flags)


def test_the_detector_overrides_any_intent_and_remembers_it(red_flags):
    message = Message(data={"text": "my husband fainted after his infusion"})
    message.set("intent", {"name": "ask_side_effects", "confidence": 0.99})
    [processed] = detector(red_flags).process([message])
    assert processed.get("intent") == {"name": URGENT_INTENT, "confidence": 1.0}
    assert processed.get("red_flag") == {
        "group": "unresponsive",
        "how": "phrases",
        "classified_intent": "ask_side_effects",
    }
    assert [e["value"] for e in processed.get("entities") if e["entity"] == "urgent_kind"] == ["symptom"]


def test_thoughts_of_self_harm_are_marked_for_the_988_guidance(red_flags):
    message = Message(data={"text": "i dont want to live anymore"})
    message.set("intent", {"name": "out_of_scope", "confidence": 0.7})
    [processed] = detector(red_flags).process([message])
    assert [e["value"] for e in processed.get("entities") if e["entity"] == "urgent_kind"] == ["self_harm"]


def test_a_low_but_fair_chance_of_urgent_from_the_classifier_is_enough(red_flags):
    message = Message(data={"text": "something is really off with my dad"})
    message.set("intent", {"name": "nlu_fallback", "confidence": 0.2})
    message.set(
        "intent_ranking", [{"name": "ask_side_effects", "confidence": 0.3}, {"name": URGENT_INTENT, "confidence": 0.25}]
    )
    [processed] = detector(red_flags).process([message])
    assert processed.get("intent")["name"] == URGENT_INTENT
    assert processed.get("red_flag")["how"] == "classifier"


def _classified_urgent(text: str) -> Message:
    message = Message(data={"text": text})
    message.set(TOKENS_NAMES[TEXT], [Token(w, text.index(w)) for w in text.split()])
    message.set("intent", {"name": URGENT_INTENT, "confidence": 0.4})
    message.set("intent_ranking", [{"name": URGENT_INTENT, "confidence": 0.4}])
    return message


def test_keyboard_mashing_the_classifier_calls_urgent_is_not_understood_but_a_misspelt_sign_is_urgent(red_flags):
    config = RedFlagDetector.get_default_config()
    known = RedFlagDetector(config, None, None, words=["my", "chest", "hurts", "bad"], red_flags=red_flags)
    mashing = [_classified_urgent("blorp zanq fimble"), _classified_urgent("zanq blorp fimble, Dr. Patel")]
    [mashed, named, misspelt] = known.process([*mashing, _classified_urgent("chezt hurtz")])
    assert mashed.get("intent")["name"] == "nlu_fallback" and mashed.get("red_flag") is None
    assert named.get("intent")["name"] == "nlu_fallback" and named.get("red_flag") is None
    assert misspelt.get("intent")["name"] == URGENT_INTENT and misspelt.get("red_flag")["how"] == "classifier"


def _ranked(text: str, urgent: float) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": URGENT_INTENT, "confidence": urgent})
    message.set("intent_ranking", [{"name": URGENT_INTENT, "confidence": urgent}])
    return message


def test_a_classifier_sure_of_urgent_outweighs_wording_that_says_the_sign_is_over(red_flags):
    text = "my chest pain went away last year"  # exempt by its wording (red_flags.is_not_happening)
    assert red_flags.is_not_happening(text)
    [unsure, sure] = detector(red_flags).process([_ranked(text, 0.6), _ranked(text, 0.75)])
    assert unsure.get("intent")["name"] == "nlu_fallback" and unsure.get("red_flag") is None
    assert unsure.get("urgent_scores")["not_happening"] is True
    assert sure.get("intent")["name"] == URGENT_INTENT and sure.get("red_flag")["how"] == "classifier"
    assert sure.get("urgent_scores")["not_happening"] is False


def test_the_detector_leaves_other_messages_alone(red_flags):
    message = Message(data={"text": "how is immunotherapy given"})
    message.set("intent", {"name": "ask_how_given", "confidence": 0.95})
    [processed] = detector(red_flags).process([message])
    assert processed.get("intent")["name"] == "ask_how_given"
    assert processed.get("red_flag") is None


def test_long_messages_are_judged_sentence_by_sentence():
    text = "We saw the doctor on Monday. She said all was fine. Now he has a fever. Anyway, how often is it given?"
    assert len(sentences(text)) == 4
    assert sentences("just one sentence here") == []


@pytest.mark.parametrize(
    "text",
    [
        "i had a seizure years ago, can i still get immunotherapy",
        "my colitis from ipi went away last year, will it come back",
        "her pneumonitis is fully resolved, can she restart keytruda",
    ],
)
def test_a_warning_sign_that_is_over_is_a_question(red_flags, text):
    assert red_flags.match(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "the rash cleared up but now i cant breathe",
        "he had a seizure years ago and just had another one",
        "what if my chest pain is from the keytruda",
        "my dad is confused and doesnt know where he is, what does it mean",
        "does confusion count as an emergency? my wife is confused",
    ],
)
def test_a_sign_happening_now_is_urgent_whatever_else_is_said(red_flags, text):
    assert red_flags.match(text) is not None


def test_being_fine_now_does_not_make_an_old_sign_current(red_flags):
    assert red_flags.match("she had a seizure years ago and is fine now, can she have car t") is None
    assert red_flags.match("he had a seizure years ago and now he is having another") is not None


@pytest.mark.parametrize(
    "text",
    [
        "which temperature counts as a fever on keytruda",
        "how high does a fever have to be to matter on keytruda",
        "list the warning signs of colitis on immunotherapy",
        "what are the danger signs after car t",
        "what is the outlook for foot drop",
        "how to diagnose jaundice",
        "what are the treatments for colitis from immunotherapy",
        "who is at risk for myocarditis on checkpoint inhibitors",
    ],
)
def test_a_question_about_what_counts_as_a_warning_sign_is_not_an_emergency(red_flags, text):
    assert red_flags.is_not_happening(text)
    assert red_flags.match(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "what temperature counts as a fever, my patient is at 39.5 and shaking",
        "what are the warning signs of a reaction, my kid cant breathe",
        "what is the treatment for jaundice, my eyes went yellow today",
    ],
)
def test_the_same_question_about_someone_is_urgent(red_flags, text):
    assert red_flags.match(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "we almost had a heart attack when we saw the bill for the scan",
        "i nearly fainted when i saw the parking fees",
        "this leaflet is so boring i could pass out",
        "the waiting room was so stressful i thought i'd faint",
        "my heart was pounding with relief when the doctor said clear",
        "i'm so confused by my insurance paperwork",
        "my world is falling apart since the diagnosis",
    ],
)
def test_figures_of_speech_are_not_warning_signs(red_flags, text):
    assert red_flags.match(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "i almost fainted when i saw the bill and now my chest hurts",
        "i nearly passed out when i stood up",
        "my heart is racing and i feel faint",
        "i'm so confused by my bill and my husband is confused and doesnt know where he is",
    ],
)
def test_a_warning_sign_beside_a_figure_of_speech_still_counts(red_flags, text):
    assert red_flags.match(text) is not None


def test_texting_shorthand_for_kill_myself_is_self_harm_but_kilometres_are_not(red_flags):
    assert red_flags.match("ugh im gonna kms") == "self_harm"
    assert red_flags.match("i walked 3 kms today and felt fine") is None


@pytest.mark.parametrize(
    "text",
    [
        "if i ever get a fever on keytruda who do i call",
        "hypothetically, what happens with a seizure during treatment",
        "what would happen if i had an allergic reaction in the infusion chair",
        "the nurse told me to call if i get diarrhea a lot, how many times is a lot",
        "the nurse told us to watch for a fever over 38, what else should we look out for",
        "is blurred vision ever a side effect? mine is fine, just curious",
        "i passed out once when i was 15 getting my ears pierced, does that matter",
        "my son has had seizures since he was little but none in years, can he get car t",
        "she blacked out at the sight of a needle, like she always does, years before any of this",
        "the shortness of breath he had after cycle 2 has mostly settled",
    ],
)
def test_a_hypothetical_or_long_past_sign_is_a_question(red_flags, text):
    assert red_flags.match(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "if he ever stopped breathing what do i do, he just stopped breathing",
        "the nurse told me to call if i get a fever, its 102 right now",
        "they told us to watch for fever and now she is at 39.4 and shaking",
        "i was so scared i thought i'd pass out, and now my throat is swelling",
        "what would happen if i had an allergic reaction, my throat is closing right now",
        "what do i do if my husband cant breathe",
        "when she was little she had asthma and now she cant breathe",
        "he passed out like he always does when he stands up, but now he wont wake up",
    ],
)
def test_a_hypothetical_beside_a_sign_happening_now_is_urgent(red_flags, text):
    assert red_flags.match(text) is not None


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("whats considered a high fever for a car t patient", False),
        ("how common are blisters on keytruda", False),
        ("what are hives", False),
        ("whats considered a high fever, my car t patient is at 103", True),
    ],
)
def test_a_question_about_nobody_in_particular_is_not_urgent(red_flags, text, urgent):
    assert (red_flags.match(text) is not None) is urgent


def test_a_sign_said_to_be_absent_or_an_emergency_kit_is_no_warning_sign(red_flags):
    assert red_flags.match("itchy rash on my arms but no blisters and no fever") is None
    assert red_flags.match("no chest pain, no palpitations, no dizziness. is a little fatigue normal") is None
    assert red_flags.match("im not short of breath and not coughing, just a sore throat") is None
    assert red_flags.match("not confused or drowsy, 3 weeks out from car t, just tired") is None
    assert red_flags.match("no chest pain but my heart is racing and i feel faint") is not None
    assert red_flags.match("im not dizzy but i havent peed since yesterday") == "kidneys"
    assert red_flags.match("no cough, hes not breathing") is not None
    assert red_flags.match("what goes in an emergency bag for car t") is None
    assert red_flags.match("no fever but i cant breathe") is not None


def test_the_classifiers_urgent_label_on_a_question_about_a_past_sign_is_unsure_not_its_unchecked_second_choice(
    red_flags,
):
    message = Message(data={"text": "my eyes were yellow years ago and went away, can i restart"})
    message.set("intent", {"name": URGENT_INTENT, "confidence": 0.6})
    ranking = [{"name": URGENT_INTENT, "confidence": 0.6}, {"name": "ask_side_effects", "confidence": 0.3}]
    message.set("intent_ranking", ranking)
    [processed] = detector(red_flags).process([message])
    assert processed.get("intent") == {"name": "nlu_fallback", "confidence": 1.0}
    assert processed.get("red_flag") is None


@pytest.mark.parametrize(
    "text",
    [
        "my legs are really swollen",
        "his breath smells fruity",
        "my muscles ache so bad i cant move",
        "my blood pressure is really low",
        "my words are slurring",
        "pooping blood",
        "belly is really tender and sore to touch",
        "my stomach pain is severe",
    ],
)
def test_each_sign_of_the_urgent_symptoms_map_in_everyday_words(red_flags, text):
    assert red_flags.match(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "whats the point of living like this",
        "i have been saving up my pain pills",
        "my husband says he wants to end his life",
        "my mom keeps talking about not wanting to be around",
        "life isnt worth living",
        "i hope i dont wake up tomorrow",
        "i wanna unalive",
    ],
)
def test_thoughts_of_self_harm_in_other_words_are_self_harm(red_flags, text):
    assert red_flags.match(text) == "self_harm"


@pytest.mark.parametrize("text", ["i want this treatment to be over already", "im done with chemo next week"])
def test_being_tired_of_treatment_is_not_self_harm(red_flags, text):
    assert red_flags.match(text) is None


def _with_embedding(text: str, embedding) -> Message:
    import numpy as np
    from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE
    from rasa.shared.nlu.training_data.features import Features

    message = Message(data={"text": text})
    message.set("intent", {"name": "share_feelings", "confidence": 0.6})
    message.add_features(Features(np.array([embedding], dtype=np.float32), FEATURE_TYPE_SENTENCE, TEXT, "test"))
    return message


@pytest.mark.parametrize(("nearest_is_self_harm", "urgent"), [(True, True), (False, False)])
def test_just_wondering_never_exempts_what_is_nearest_to_thoughts_of_self_harm(red_flags, nearest_is_self_harm, urgent):
    import numpy as np

    config = RedFlagDetector.get_default_config()
    examples = dict(urgent=np.array([[1.0, 0.0]]), other=np.array([[0.0, 1.0]]), self_harm=[nearest_is_self_harm])
    check = RedFlagDetector(config, None, None, red_flags=red_flags, **examples)
    text = "just wondering what it would be like to not exist"
    assert red_flags.match(text) is None and red_flags.is_not_happening(text)
    [processed] = check.process([_with_embedding(text, [1.0, 0.0])])
    assert (processed.get("intent")["name"] == URGENT_INTENT) is urgent
    if urgent:
        assert [e["value"] for e in processed.get("entities") if e["entity"] == "urgent_kind"] == ["self_harm"]


@pytest.mark.parametrize(
    "text",
    [
        "i feel like giving up on everything",
        "i feel hopeless and trapped",
        "my dad says he has nothing to live for",
        "i wrote goodbye letters last night",
        "nobody would miss me",
    ],
)
def test_hopelessness_and_goodbyes_are_self_harm(red_flags, text):
    assert red_flags.match(text) == "self_harm"


@pytest.mark.parametrize(
    "text",
    [
        "could not get air walking in from the car park",
        "sob since last night, on opdivo",
        "theres a whistle when she breathes since the drip came out",
        "my lips went numb and are swelling up",
        "slimy stuff on his poop and cramps",
        "been to the toilet 7 times a day since monday",
        "pooping way more than usual",
        "my wife looks like a highlighter, her skin went that colour",
        "havent needed the bathroom all day",
        "so tired he fell asleep at the dinner table mid meal",
        "the cut on my hand has been bleeding all morning",
    ],
)
def test_warning_signs_in_everyday_words_are_caught(red_flags, text):
    assert red_flags.match(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "i keep thinking of driving my car into a wall",
        "i cant find a reason to keep going",
        "dont see any point in living",
    ],
)
def test_more_ways_of_saying_self_harm_get_988_first(red_flags, text):
    assert red_flags.match(text) == "self_harm"


@pytest.mark.parametrize(
    "text",
    [
        "a small rash on my leg, not spreading, is that normal on keytruda",
        "what does jaundice look like",
        "what do i do about dark urine, for future reference",
    ],
)
def test_an_absent_sign_or_a_question_for_later_is_not_an_emergency(red_flags, text):
    assert red_flags.match(text) is None


def test_ever_since_is_not_a_hypothetical(red_flags):
    assert red_flags.match("wheezing ever since my infusion") is not None


@pytest.mark.parametrize("text", ["i have a reason to live, my grandkids", "bathroom 1 or 2 times a day, is that ok"])
def test_a_reason_to_live_and_a_normal_number_of_stools_are_not_warning_signs(red_flags, text):
    assert red_flags.match(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "my son fainted at dinner, he says hes fine now",
        "wife had a fit on the couch earlier, shes ok now",
        "dbl vision, seeing two of things",
    ],
)
def test_fainting_or_a_seizure_is_urgent_even_when_the_person_feels_fine_again(red_flags, text):
    assert red_flags.match(text) is not None


@pytest.mark.parametrize("text", ["i fainted once as a teen, fine now", "blacked out the old dates on my calendar"])
def test_a_long_past_faint_and_blacking_out_dates_are_not_warning_signs(red_flags, text):
    assert red_flags.match(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "moms sugar reading 415 and shes peeing nonstop",
        "headache for almost a week, advil does nothing",
        "his eyes are getting fuzzy",
        "grandpa not know where he is this morning",
    ],
)
def test_a_high_sugar_reading_a_headache_nothing_helps_and_confusion_in_plain_words_are_urgent(red_flags, text):
    assert red_flags.match(text) is not None


@pytest.mark.parametrize("text", ["my blood sugar was 110 at breakfast", "i know where she is, at her sisters"])
def test_a_normal_sugar_reading_and_knowing_where_someone_is_are_not_warning_signs(red_flags, text):
    assert red_flags.match(text) is None


@pytest.mark.parametrize(
    "text", ["been going like 12x a day since sunday", "dad fell asleep at his desk again, so weird"]
)
def test_many_stools_a_day_and_falling_asleep_at_a_desk_are_urgent(red_flags, text):
    assert red_flags.match(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "my shortness of breath is almost gone now",
        "used to get hives from shellfish as a kid, I'm much better now",
        "the rash from last week went away with the cream",
        "what does a reaction to the drip look like? just want to be ready",
        "ankles swell on long drives, it's been like that for years",
        "we laughed so hard at the movie that I could barely breathe",
        "I can finally breathe again, the tumor shrank",
    ],
)
def test_signs_that_are_over_long_standing_or_figures_of_speech_are_not_emergencies(red_flags, text):
    assert red_flags.match(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "pulse ox says 87 on room air",
        "his sats keep dropping",
        "noisy high breathing, stridor",
        "bp 78/45 and dizzy",
        "thyroid storm?",
    ],
)
def test_low_oxygen_and_blood_pressure_readings_and_clinical_names_are_urgent(red_flags, text):
    assert red_flags.match(text) is not None


@pytest.mark.parametrize(
    "text", ["oxygen 97% this morning", "bp 118/76, good", "the oxygen machine rental is 85 dollars"]
)
def test_normal_readings_and_prices_are_not_warning_signs(red_flags, text):
    assert red_flags.match(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "i see no sense to go on living like this",
        "thinking of ways to bring it all to an end",
        "she said she cant bear living anymore",
    ],
)
def test_formal_or_roundabout_thoughts_of_ending_ones_life_are_self_harm(red_flags, text):
    assert red_flags.match(text) == "self_harm"


def test_wanting_to_go_on_living_and_bringing_a_meeting_to_a_close_are_not_self_harm(red_flags):
    assert red_flags.match("I want to go on living for my kids, what trials are there") is None
    assert red_flags.match("the nurse had to bring the meeting to a close early") is None


@pytest.mark.parametrize(
    "text",
    [
        "is peeing hardly anything a side effect",  # a question in the form people use about what they have
        "is it normal to wee way less than before on opdivo",
        "can keytruda cause dark pee? started this morning",  # a general question that says when
        "have to stop on every landing to breathe",
        "coughed up reddish spit twice",
        "dads vision has gone blurry since tuesday",
        "everything looks double when I read",
        "so weak she had to crawl to bed",
        "he had a jerking fit at lunch, fine now",  # a seizure that is over still needs a call now
    ],
)
def test_signs_played_down_or_asked_about_as_side_effects_are_urgent(red_flags, text):
    assert red_flags.match(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "can immunotherapy cause dark urine?",  # about nobody in particular, and nothing said to be happening
        "what are the warning signs of a blood clot, is coughing up blood one",
        "had a mild headache, gone after a nap, just mentioning it",
        "a bloody nose yesterday that stopped after a minute",
        "I went for a long walk and had a coughing fit in the cold",
    ],
)
def test_general_questions_and_signs_over_in_minutes_are_not_emergencies(red_flags, text):
    assert red_flags.match(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "for future reference what does colitis feel like, tho my belly is in agony at the moment",  # "now" wins
        "sob 2day again and its hard 2 talk",
        "her heart rate has been really irregular since dinner",
        "threw up 4 times since breakfast on opdivo",
        "the runs are back, 7 times now, can I take loperamide",
        "my lower legs keep puffing up",
        "wee came out pinkish this morning",
        "grandpa is saying nonsense at dinner",
        "mum seems muddled tonight, she had car-t last week",
        "38.6 tonight and my white counts are low",
        "coughed up some blood twenty minutes ago, i feel ok now",  # coughing up blood is not over when one feels ok
        "the thoughts came back and ive been thinking about how id do it",
        "how many of these sleeping tabs would be too many",
    ],
)
def test_signs_said_to_be_over_or_minor_that_are_happening_now_are_urgent(red_flags, text):
    assert red_flags.match(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "I had a seizure as a baby, none since. does that rule out car t?",
        "one fainting spell in 2019 and nothing since then, ok for yescarta?",
        "got a rash from a tetanus shot years back, never again. is opdivo ok?",
        "had heart pain in the spring, turned out to be reflux, gone since I started pantoprazole",
        "it is hard to talk about my prognosis with friends",
        "I'm 38 and have mild neutropenia, what is it?",
        "a bit muddled about the dates of my infusions",
        "I've been thinking about how I'd manage work during treatment",
        "I've worked out how I will get to my infusions without a car",
    ],
)
def test_signs_in_childhood_that_turned_out_harmless_or_words_used_otherwise_are_not_emergencies(red_flags, text):
    assert red_flags.match(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "how often is too often to poo? I'm up to 8 times a day today, usually twice",
        "she's had 6 today, normally once",
        "peeing every hour and so thirsty I can't stop drinking",
        "thirsty no matter how much I drink and weeing nonstop",
        "there are 40 of his oxycodone in the drawer, that should be enough",
        "o2 says 88 on the finger clip and I'm puffing",
        "temp was 37 earlier, 38.8 now, day 5 after car-t",
        "heart rate 140 and I'm just sitting on the couch",
        "big itchy welts on her neck since the drip",
        "his breathing sounds kind of wheezy tonight",
        "a headache thats the worst ever since lunch",
        "her ankles leave a dent when you press and her socks dig in",
        "do i go to urgent care with this fever or call the oncologist",
        "honestly i wanna die, not joking",
    ],
)
def test_readings_counts_and_stockpiles_told_in_numbers_are_urgent(red_flags, text):
    assert red_flags.match(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "oximeter reads 97, pulse 80, all good?",
        "did his car t temperature check, 37.1, do we log it somewhere",
        "thermometer said 98.4 after keytruda, fine right?",
        "had 5 coffees today, normally one",
        "hr hit 150 on my run this morning, fine to keep jogging on keytruda?",
        "my hr monitor cost 130 dollars",
        "can you tell me which side effects mean the emergency room on opdivo?",
        "i could die of embarrassment, i snored through my whole infusion",
        "is 30 tablets enough for the month? 30 pills would be enough for a month I guess",
    ],
)
def test_normal_readings_and_ordinary_counts_are_not_warning_signs(red_flags, text):
    assert red_flags.match(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "dry eyes, a bit tired, a heartbeat that keeps skipping today, and no appetite",
        "sore muscles, dry mouth, stomach cramps so bad he's doubled over",
        "slight rash, my stools have been black for two days, trouble sleeping",
        "he's grumpy, nails brittle, his skin looking yellow",
        "my husband is a totally different person since yesterday, yelling and paranoid",
        "sleepy, dry eyes, 101 fever, craving pickles",
        "hot and cold shivers since this morning, itchy scalp",
    ],
)
def test_one_warning_sign_in_a_list_of_mild_ones_is_urgent(red_flags, text):
    assert red_flags.match(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "we were doubled over laughing at the comedy show",
        "she's a totally different person since she started yoga, so much calmer",
        "the forecast says a 38 temp high for tuesday lol",
    ],
)
def test_look_alikes_of_the_list_signs_are_not_urgent(red_flags, text):
    assert red_flags.match(text) is None


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("melena since last night, on nivo", "gut"),
        ("brbpr x3 today", "gut"),
        ("6 loose stools since breakfast", "gut"),
        ("diarrhea all morning and theres blood in it", "gut"),
        ("she's been oliguric since yesterday", "kidneys"),
        ("urine output down to almost nothing", "kidneys"),
        ("hematuria started this am", "kidneys"),
        ("new diplopia on ipi", "nerves_muscles"),
        ("R foot drop since tuesday", "nerves_muscles"),
        ("he's somnolent and barely answers", "brain"),
        ("gcs down to 12", "brain"),
        ("can't rouse him properly", "brain"),
        ("brief LOC in the bathroom", "unresponsive"),
        ("no response to pain", "unresponsive"),
        ("tmax 38.9 overnight", "fever_low_counts"),
        ("tengo fiebre 39", "fever_low_counts"),
        ("pt endorses SI", "self_harm"),
        ("SI w/ plan", "self_harm"),
        ("thinking about trying to OD", "self_harm"),
        ("he's been stashing his oxycodone in a sock", "self_harm"),
        ("she says better she is dead", "self_harm"),
        ("dad got lost walking home from the corner shop today", "brain"),
        ("talks about throwing herself from the window", "self_harm"),
    ],
)
def test_clinical_words_and_chart_shorthand_are_warning_signs(red_flags, text, category):
    assert red_flags.match(text) == category


@pytest.mark.parametrize(
    "text",
    [
        "si, gracias",
        "one drop in OD at night",
        "what is myasthenia gravis",
        "what is a normal GCS",
        "can you explain what ANC means",
    ],
)
def test_look_alikes_of_the_shorthand_are_not_flagged(red_flags, text):
    assert red_flags.match(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "Daily check: Fever: no / Cough: no / Short of breath: no / Rash: none / Pee: normal - next dose still on?",
        "log - confusion: none; tremor: no; handwriting fine; dizzy: no",
        "Post-infusion form | Throat: fine | Breathing: normal | Hives: no | Blood in pee: no",
        "Breathing: no problems / Fever: no",
        "car t day 30, handwriting normal, temp 36.7",
    ],
)
def test_a_checklist_that_answers_no_to_every_sign_is_not_urgent(red_flags, text):
    assert red_flags.match(text) is None


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Checklist: Fever: no / Confusion: yes since lunch / Rash: no", "brain"),
        ("Daily check: Fever: no / Short of breath: yes, worse today", "breathing"),
        ("Fri: pee ok / Sat: a little / Sun: nothing since breakfast", "kidneys"),
        ("baby log - wet diapers: 0 since 5am", "kidneys"),
        ("urine output log: small amount at 7, nothing since noon", "kidneys"),
        ("Resp check | Breathing: no | Responding: no", "unresponsive"),
        ("readings today 37.1 / 37.8 / 38.3 / 38.7 on the thermometer", "fever_low_counts"),
        ("Mood form: Thoughts of hurting myself: yes, tonight", "self_harm"),
        ("Skin - yellow, eyes too", "liver"),
        ("grandpa keeps dozing off mid sentence", "brain"),
    ],
)
def test_a_warning_sign_in_a_checklist_or_log_is_caught(red_flags, text, category):
    assert red_flags.match(text) == category


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("i get this fluttering in my chest since last night", "heart"),
        ("his watch keeps saying irregular rhythm today", "heart"),
        ("my sister says she wishes she could just not wake up", "self_harm"),
        ("found out hes been hiding his pain pills under the mattress", "self_harm"),
    ],
)
def test_a_sign_said_in_passing_in_a_long_letter_is_caught(red_flags, text, category):
    assert red_flags.match(text) == category


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("i dont trust myself with all these pills in the cabinet tonight", "self_harm"),
        ("my brother keeps saying he will hang himself if treatment fails", "self_harm"),
        ("the kids would be better off without me, honestly", "self_harm"),
        ("sometimes on the highway i think about steering the car into a wall", "self_harm"),
        ("i just want to end it all before the next round", "self_harm"),
        ("she keeps reaching for words mid sentence since this morning", "brain"),
        ("we can barely keep him awake through dinner", "brain"),
        ("dad cant answer simple questions tonight", "brain"),
        ("grandma is slurring a bit on the phone", "brain"),
        ("husband confused, had opdivo tues", "brain"),
        ("she just threw up red, a lot of it", "bleeding"),
        ("keep passing blood when I go to the loo", "gut"),
        ("constant watery stools since the weekend", "gut"),
        ("his skin has gone kind of yellow since friday", "liver"),
        ("two days after cells her thermometer showed 100.9", "fever_low_counts"),
        ("fever tonight and i'm on chemo with the keytruda", "fever_low_counts"),
        ("my rash is peeling off in sheets, I haven't had nivo since last summer", "skin"),
    ],
)
def test_signs_from_the_later_tuning_sets_angles_are_caught(red_flags, text, category):
    assert red_flags.match(text) == category


@pytest.mark.parametrize(
    "text",
    [
        "we ended things with the old oncologist and moved clinics",
        "she was vomiting red jello after the party, all fine now",
        "I'm confused about the infusion schedule",
        "mom confused by the bill from the hospital",
        "my son's height reads 101 cm on the chart",
    ],
)
def test_look_alikes_of_the_later_signs_are_not_urgent(red_flags, text):
    assert red_flags.match(text) is None


def test_a_reading_now_is_not_hypothetical_because_the_team_said_to_watch_for_it(red_flags):
    assert red_flags.match("they told us to watch for fevers since his counts are low, his temp is 38.3") is not None
    assert red_flags.match("they told us to watch for fevers since his counts are low, what counts as one?") is None


@pytest.mark.parametrize(
    "text",
    [
        "her counts are really low and she's at 38.4",
        "wbc is down and temp 100.8 tonight",
        "low counts, 101 this evening",
        "his anc is low and he just read 38.6",
    ],
)
def test_a_fever_beside_low_counts_in_short_words_is_caught(red_flags, text):
    assert red_flags.match(text) == "fever_low_counts"


def test_a_piece_the_patterns_share_is_filled_in_and_an_unknown_one_is_an_error(tmp_path):
    spec = tmp_path / "flags.yml"
    common = "not_now: x^\nnow: x^\nover_now: x^\nfine_now: x^\nepisode: x^\npersonal: x^\nimplied_person: x^\n"
    common += "hypothetical: x^\nanyone: x^\ngeneral_question: x^\n"
    spec.write_text("pieces:\n  hot: (10[1-5])\nsymptoms:\n  fever: ['temp {hot}\\b']\n" + common)
    flags = RedFlags(spec)
    assert flags.match("temp 102 tonight") == "fever"
    assert flags.match("temp 99 tonight") is None
    spec.write_text("symptoms:\n  fever: ['temp {cold}']\n" + common)
    with pytest.raises(ValueError, match="unknown piece"):
        RedFlags(spec)


@pytest.mark.parametrize(
    "text",
    [
        "what does coffee colored pee mean",
        "what's the difference between a flare and an infusion reaction?",
        "what is the 38 degree rule for fevers",
        "what's the cutoff for neutropenic fever",
        "i'm breathless with excitement about the scan results",
        "we laughed so hard at the nurse's story that I nearly fainted",
    ],
)
def test_general_questions_and_joyful_figures_of_speech_are_not_urgent(red_flags, text):
    assert red_flags.match(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "what does it mean if my pee is brown like cola",
        "what does it mean when your throat closes up",
        "whats the difference, his throat is closing",
        "I laughed and then I nearly fainted in the chair",
    ],
)
def test_the_same_questions_about_a_sign_someone_has_are_urgent(red_flags, text):
    assert red_flags.match(text) is not None


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("my neighbour's son told her he wants to kill himself", "self_harm"),
        ("grandpa keeps talking about harming himself since the scan", "self_harm"),
        ("she said she might hurt herself if it comes back", "self_harm"),
        ("i can hardly breathe just getting dressed", "breathing"),
        ("gulping water all day and still thirsty, is that keytruda?", "hormone"),
        ("parched no matter what and constantly peeing", "hormone"),
        ("mum keeps losing her words on the phone since sunday", "brain"),
    ],
)
def test_a_relatives_words_of_self_harm_barely_breathing_thirst_and_lost_words_are_caught(red_flags, text, category):
    assert red_flags.match(text) == category


@pytest.mark.parametrize(
    "text",
    [
        "she might hurt herself if she trips on the rug, any tips on home safety?",
        "he could hurt himself lifting weights, is the gym ok on opdivo?",
        "we cried so hard at the wedding I could barely breathe",
    ],
)
def test_accidents_and_happy_tears_are_not_self_harm_or_a_breathing_sign(red_flags, text):
    assert red_flags.match(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "dont tell my wife but i dont plan on being around after the holidays",
        "dad says he doesn't expect to be alive by summer and he's stopped eating",
        "honestly I do not intend to be here much longer",
    ],
)
def test_not_planning_to_be_alive_is_self_harm(red_flags, text):
    assert red_flags.match(text) == "self_harm"


@pytest.mark.parametrize(
    "text",
    [
        "I'm not planning to be around for the infusion on the 12th, who do I call to move it?",
        "my son doesn't expect to be here on friday so can the nurse ring me instead",
    ],
)
def test_not_being_around_for_an_appointment_is_not_self_harm(red_flags, text):
    assert red_flags.match(text) is None


def test_a_reading_of_several_digits_is_happening_now_even_after_what_the_doctor_said_to_watch_for(red_flags):
    text = "his temp's 101.3, the nurse said to watch for fevers because his counts are low"
    assert red_flags.match(text) == "fever_low_counts"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("her heart's been flip-flopping all morning", "heart"),
        ("he's throwing up everything he drinks", "gut"),
        ("my pee has gone the colour of cranberry juice", "kidneys"),
        ("his urine output has dropped to almost nothing", "kidneys"),
        ("the skin on his back and arms is coming off", "skin"),
        ("her left eyelid is sort of droopy today", "nerves_muscles"),
        ("dad seems lost in his own house this afternoon", "brain"),
        ("grandma can't remember our names this morning", "brain"),
        ("the iv site is still oozing through the dressing", "bleeding"),
        ("nicked myself shaving and it's still bleeding after 40 minutes", "bleeding"),
        ("i'm going to finish myself off", "self_harm"),
        ("mi waan kill miself", "self_harm"),
    ],
)
def test_signs_in_everyday_and_dialect_words_are_caught(red_flags, text, category):
    assert red_flags.match(text) == category


@pytest.mark.parametrize(
    "text",
    [
        "the support meeting was still going after 45 minutes, is there a shorter one?",
        "I can't remember the names of all my meds, is there a list?",
        "I still can't figure out how to use the remote for the infusion chair",
        "my eyelids feel heavy after lunch, is tiredness normal on keytruda?",
        "I'm going to finish off my last cycle in May",
    ],
)
def test_everyday_look_alikes_are_not_signs(red_flags, text):
    assert red_flags.match(text) is None


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("her eyelids are swelling up since the drip", "allergic_infusion"),
        ("he's only peed a few drops since lunch", "kidneys"),
        ("mum couldn't remember her own address at the pharmacy", "brain"),
        ("I've been writing goodbye notes", "self_harm"),
        ("wrote letters to my children tonight in case I'm not around", "self_harm"),
        ("my ankles are really swollen over the last three days, last year my kidneys were fine", "kidneys"),
    ],
)
def test_puffing_eyelids_drops_of_urine_a_lost_address_and_goodbye_letters_are_caught(red_flags, text, category):
    assert red_flags.match(text) == category


@pytest.mark.parametrize(
    "text",
    [
        "he had a seizure last year and has been seizure free since. can he drive again?",
        "she had confusion after CAR T last year, cleared up in a week. when can she travel now?",
    ],
)
def test_asking_to_take_up_an_activity_again_after_a_sign_that_is_over_is_not_urgent(red_flags, text):
    assert red_flags.match(text) is None


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("my husband looks kinda yellow tonight", "liver"),
        ("she keeps dropping her fork at dinner since monday", "nerves_muscles"),
        ("searched how many of my pain pills it would take", "self_harm"),
        ("mi papá tiene fiebre, he had chemo tuesday", "fever_low_counts"),
        ("fever 38.6 three days after carboplatin and keytruda", "fever_low_counts"),
        ("no puede respirar, mi abuela, she's on opdivo", "breathing"),
    ],
)
def test_looking_yellow_dropping_things_counting_pills_and_other_languages_words_are_caught(red_flags, text, category):
    assert red_flags.match(text) == category


def test_dropping_hints_is_not_weakness(red_flags):
    assert red_flags.match("my daughter keeps dropping hints about a puppy, can we have pets on keytruda?") is None


def test_a_word_ending_in_in_is_not_spoilt_when_a_misspelling_is_put_right(red_flags):
    # "fiebre" is put right to "fever"; putting back a dropped g must not also turn "carboplatin" into "carboplating"
    assert red_flags.match("mi papá tiene fiebre, he had carboplatin tuesday with keytruda") == "fever_low_counts"
