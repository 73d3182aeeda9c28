"""Word lists for the emotion dataset, written for this project.

Every word is an adjective that names a person's emotional state and fits the slot of
every template ("Bob feels {}", "Bob was {}", "made Bob feel {}"). Relational passives
("loved", "rejected", "betrayed") are left out on purpose: they describe what others did
and read oddly in frames such as "Bob seemed {}" or "Bob woke up {}".

CIRCUMPLEX holds, for every word, its place on the circumplex of affect (Russell, 1980):
an angle in degrees measured counter-clockwise from the pleasant pole (0 = pleasant,
90 = activated, 180 = unpleasant, 270 = deactivated) and an intensity r in {0.6, 0.8, 1.0}
(mild, typical, extreme). The placement is our own judgement, guided only by the
qualitative ordering of the circumplex (pleased - excited - alarmed - distressed -
miserable - depressed - tired - sleepy - calm - content). build.py turns it into
valence = r cos(angle), arousal = r sin(angle).
"""

# ---------------------------------------------------------------- valence (equal counts)
POSITIVE = """
happy glad cheerful joyful joyous delighted contented pleased grateful thankful hopeful
proud relieved elated thrilled ecstatic excited enthusiastic optimistic confident calm
peaceful serene relaxed comfortable satisfied amused blissful jubilant euphoric overjoyed
loving affectionate upbeat buoyant carefree lighthearted merry jolly gleeful radiant secure
safe appreciative inspired energized eager playful rested refreshed fulfilled triumphant
encouraged reassured comforted untroubled tranquil mellow cozy exhilarated exuberant lively
spirited empowered blessed fortunate lucky cheery chipper bubbly jovial enchanted charmed
fascinated amazed uplifted heartened invigorated rejuvenated motivated victorious gratified
flattered soothed festive rapturous unworried easygoing vivacious exultant zestful smitten
accomplished liberated pampered perky revitalized unburdened enraptured recharged energetic
snug unbothered honored sanguine self-assured jaunty worry-free enamored well-rested
""".split()

NEGATIVE = """
sad unhappy miserable depressed gloomy heartbroken lonely hopeless despondent dejected
melancholy sorrowful grieving downcast glum forlorn wretched desolate disconsolate
crestfallen disheartened discouraged disappointed dismayed
angry furious enraged irate livid irritated annoyed resentful indignant frustrated
exasperated fuming outraged infuriated incensed seething grumpy cranky sullen irritable
disgruntled
afraid scared frightened terrified anxious worried nervous fearful panicked petrified uneasy
tense stressed distressed troubled upset disturbed alarmed horrified appalled panicky
agitated frantic
disgusted repulsed ashamed embarrassed humiliated guilty remorseful regretful mortified
jealous envious insecure helpless powerless worthless inadequate offended
bored weary exhausted drained apathetic discontented dissatisfied displeased uncomfortable
desperate tormented anguished distraught devastated heartsick homesick morose pessimistic
defeated mournful dispirited despairing lethargic listless sluggish
""".split()

# ---------------------------------------------------------------- arousal (equal counts)
# Each class mixes pleasant, unpleasant and neutral words so that arousal is not valence.
HIGH_AROUSAL = """
excited ecstatic thrilled elated exhilarated euphoric energized eager enthusiastic exuberant
jubilant invigorated overjoyed gleeful triumphant lively spirited vivacious exultant zestful
bubbly rapturous enraptured inspired amazed perky energetic delighted victorious revitalized
furious terrified agitated enraged panicked frantic irate livid outraged infuriated fuming
horrified frightened scared alarmed nervous anxious tense stressed restless jittery panicky
petrified distraught exasperated angry flustered incensed seething frustrated
alert astonished surprised startled
""".split()

LOW_AROUSAL = """
calm relaxed tranquil serene peaceful placid mellow contented rested cozy comfortable soothed
untroubled unworried easygoing relieved satisfied composed unhurried comforted secure safe
laid-back carefree reassured dreamy snug unbothered
bored sluggish listless lethargic tired weary exhausted fatigued drained depressed gloomy sad
melancholy apathetic despondent dejected lifeless glum morose forlorn groggy jaded resigned
dispirited downcast unmotivated spiritless hopeless
sleepy drowsy languid subdued sedate dozy somnolent quiet
""".split()

# ---------------------------------------------------------------- circumplex placement
# "angle r: words" -- one line per group of words sharing a placement.
_PLACEMENT = """
0 1.0: happy
0 0.8: glad pleased loving fortunate
0 0.6: gratified sanguine
5 0.8: lucky heartened accomplished
10 0.8: honored self-assured uplifted
10 1.0: blissful
15 0.8: cheerful joyful merry hopeful optimistic encouraged liberated flattered rejuvenated lighthearted
15 1.0: joyous
20 0.8: jolly cheery jovial amused confident proud radiant charmed upbeat
25 0.8: enchanted enamored buoyant
30 0.8: gleeful playful chipper smitten empowered
30 1.0: delighted overjoyed
35 0.8: festive jaunty recharged
35 1.0: triumphant victorious
40 0.8: bubbly perky inspired revitalized
40 1.0: rapturous enraptured exultant jubilant
45 0.8: excited enthusiastic motivated fascinated
45 1.0: thrilled elated ecstatic euphoric exhilarated exuberant
50 0.8: lively spirited vivacious zestful invigorated
55 0.8: energized
60 0.8: energetic eager amazed
80 0.8: astonished
85 0.6: alert
90 0.8: surprised
95 0.8: startled
100 0.8: restless jittery alarmed
105 0.8: tense nervous
105 1.0: frantic panicked
110 0.8: agitated panicky flustered
110 1.0: terrified petrified
115 0.8: anxious frightened scared
115 1.0: furious enraged infuriated horrified
120 0.8: afraid fearful stressed
120 1.0: livid irate outraged fuming seething incensed
125 0.8: angry
130 0.8: indignant
135 0.8: exasperated worried appalled
135 1.0: distraught
140 0.8: frustrated irritated distressed uneasy desperate embarrassed
140 1.0: tormented
145 0.8: annoyed disturbed jealous mortified
150 0.8: upset disgusted repulsed humiliated offended cranky irritable
150 1.0: anguished
155 0.8: troubled envious resentful
160 0.6: grumpy disgruntled insecure uncomfortable
165 0.6: displeased
170 0.6: dissatisfied discontented
170 0.8: dismayed
175 0.8: guilty
175 1.0: devastated
180 0.8: unhappy ashamed
185 0.8: disappointed inadequate
185 1.0: heartbroken
190 0.8: regretful remorseful helpless powerless homesick
190 1.0: miserable
195 0.8: worthless heartsick pessimistic crestfallen grieving
200 0.8: sad lonely discouraged disheartened sorrowful
200 1.0: wretched
205 0.8: mournful defeated disconsolate sullen
210 0.8: downcast glum forlorn
210 1.0: desolate despairing
215 0.8: depressed gloomy despondent dejected melancholy morose
220 0.8: dispirited
220 1.0: hopeless
225 0.6: resigned
230 0.6: jaded
235 0.8: bored apathetic spiritless unmotivated
240 0.8: listless lifeless
245 0.8: weary drained lethargic sluggish
250 0.6: tired fatigued
250 1.0: exhausted
255 0.6: groggy
265 0.6: subdued
270 0.8: sleepy drowsy dozy somnolent
280 0.6: languid
285 0.6: quiet sedate
295 0.6: dreamy
300 0.6: placid unhurried rested well-rested
305 0.8: tranquil laid-back
310 0.8: calm mellow composed soothed
315 0.8: relaxed serene peaceful snug
320 0.8: easygoing unbothered cozy
325 0.8: untroubled unworried comforted
330 0.8: contented relieved reassured comfortable
335 0.8: secure safe
340 0.8: unburdened worry-free pampered
345 0.8: carefree satisfied refreshed
350 0.8: fulfilled affectionate
355 0.8: grateful thankful appreciative blessed
"""


def circumplex() -> dict[str, tuple[int, float]]:
    """word -> (angle in degrees, intensity)."""
    placement: dict[str, tuple[int, float]] = {}
    for line in _PLACEMENT.strip().splitlines():
        head, words = line.split(":")
        angle, r = head.split()
        for word in words.split():
            if word in placement:
                raise ValueError(f"{word} placed twice on the circumplex")
            placement[word] = (int(angle), float(r))
    return placement


CIRCUMPLEX = circumplex()
