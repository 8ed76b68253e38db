"""What an article is about, in IPTC Media Topics' top level, with a confidence per topic.

IPTC Media Topics is the news industry's subject taxonomy (17 top-level subjects). newsflow names each
subject by a short slug (what the `topics` field and the search facets hold) and keeps IPTC's code and
name beside it (`topic_scores`). Two slugs share IPTC's "science and technology": news readers and the
evaluation corpora tell science from technology, and IPTC does one level down.

A topic is recognised by its vocabulary: words and phrases that news writing on the subject uses, drawn
from the subject's IPTC definition and narrower topics. A term ending in "*" matches any word it begins
("econom*": economy, economic, economist); any other matches the word itself and its plural. Each
occurrence counts one, in the lead (the first paragraph) two and in the title three: they say what the
story is about, where the body wanders. Each word's count saturates (SATURATION), so the breadth of a
subject's vocabulary weighs more than one word repeated. The first topic is the highest score; others
follow when they score at least half of it. An article that names no topic's vocabulary gets none; one
that names a little gets a topic of low confidence (EVIDENCE). English
vocabulary only: articles in other languages get topics only where they use the same words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any


@dataclass(frozen=True, slots=True)
class Topic:
    slug: str
    medtop: str  # IPTC Media Topics code of the top-level subject
    label: str  # IPTC's name for it
    terms: tuple[str, ...]


def _terms(words: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in words.split(",") if t.strip())


TAXONOMY: tuple[Topic, ...] = (
    Topic(
        "culture",
        "medtop:01000000",
        "arts, culture, entertainment and media",
        _terms(
            "film*, movie*, cinema*, actor*, actress*, oscar*, bafta*, grammy*, emmy*, golden globe*, box office,"
            "hollywood, bollywood, music*, album*, singer*, song*, songwriter*, concert*, festival*, band,"
            "theatre*, theater*, playwright*, novel*, novelist*, literary, literature, poet*, museum*,"
            "exhibition*, gallery, galleries, painting*, painter*, artist*, art, arts, sculpt*, opera*, ballet*,"
            "comedy, comedies, comedian*, television, tv, sitcom*, drama*, documentar*, celebrit*, premiere*,"
            "soundtrack*, rapper*, hip-hop, pop star*, rock star*, screenplay*, entertainment, showbiz,"
            "broadcaster*, radio, bbc one, channel 4, itv, netflix, record label*, chart-topping, stage show*,"
            "musical*, director's, starring, starred, award-winning, audience*, singles chart, chart-topp*,"
            "box-office, blockbuster*, sequel*, soap opera*, reality tv, reality show*, animation, animated,"
            "cartoon*, gig, gigs, bestseller*, best-seller*, fiction, poetry, show business, pop music,"
            "rock music, dj, djs, record compan*, music industry, film industry, film studio*"
        ),
    ),
    Topic(
        "conflict",
        "medtop:16000000",
        "conflict, war and peace",
        _terms(
            "military, militar*, troops, soldier*, army, armies, war, wars, warfare, mercenar*, insurgen*,"
            "militant*, jihad*, terroris*, rebel*, armed forces, armed group*, weapon*, airstrike*, air strike*,"
            "ceasefire*, cease-fire*, fighting, security forces, missile*, bombing*, invasion*, invade*,"
            "hostage*, peace talks, peacekeep*, genocide*, combat*, militia*, drone strike*, shelling,"
            "artillery, civil war, guerrilla*, battlefield*, frontline*, front line*, occupation forces"
        ),
    ),
    Topic(
        "crime",
        "medtop:02000000",
        "crime, law and justice",
        _terms(
            "police*, policem*, arrest*, court, courts, trial, trials, murder*, prison*, jail*, charged, crime*, criminal*,"
            "investigation*, suspect*, judge*, jury, juries, lawyer*, attorney*, prosecut*, convict*,"
            "sentenced, guilty, theft*, robber*, fraud*, burglar*, stabbing*, gang*, smuggl*, lawsuit*, sued,"
            "supreme court, magistrate*, detective*, custody, bail, verdict*, acquit*, homicide*, rape*,"
            "assault*, offender*, offence*, offense*, indict*, felon*, drug dealer*, trafficking, manslaughter,"
            "courtroom*, legal action, law enforcement"
        ),
    ),
    Topic(
        "disaster",
        "medtop:03000000",
        "disaster, accident and emergency incident",
        _terms(
            "earthquake*, quake*, flood*, wildfire*, bushfire*, hurricane*, typhoon*, cyclone*, tsunami*,"
            "disaster*, accident*, crash*, collision*, explosion*, blaze*, rescue*, rescuer*, evacuat*,"
            "emergency services, death toll, survivor*, avalanche*, volcan*, eruption*, derail*, shipwreck*,"
            "firefighter*, fire brigade*, famine*"
        ),
    ),
    Topic(
        "economy",
        "medtop:04000000",
        "economy, business and finance",
        _terms(
            "econom*, market*, inflation, bank, banks, banking, banker*, trade, trading, trader*, gdp, price*,"
            "investment*, investor*, business*, compan*, shares, shareholder*, stock*, unemployment, budget*,"
            "tax, taxes, taxation, export*, import*, industr*, profit*, revenue*, earnings, sales, retail*,"
            "firm, firms, merger*, acquisition*, takeover*, chief executive*, ceo, dollar*, euros, currenc*,"
            "interest rate*, central bank*, recession*, consumer*, oil price*, analyst*, bankrupt*, debt*,"
            "loan*, mortgage*, pension*, insurance, insurer*, manufactur*, factory, factories, fiscal,"
            "financ*, exchange rate*, wall street, nasdaq, dow jones, ftse, hedge fund*, brand*, customer*,"
            "supplier*, subsidiar*, turnover, dividend*, output, growth, deficit*, jobs, job cuts, wage*,"
            "workers, labour market, commodit*, crude, opec, airline*, retailer*, stake"
        ),
    ),
    Topic(
        "education",
        "medtop:05000000",
        "education",
        _terms(
            "school*, pupil*, student*, teacher*, education*, curricul*, exam*, tuition, college*, classroom*,"
            "graduate*, campus*, headteacher*, kindergarten*, literacy, academic year, university place*"
        ),
    ),
    Topic(
        "environment",
        "medtop:06000000",
        "environment",
        _terms(
            "climate, emission*, environment*, pollut*, carbon, renewable*, deforestation, biodiversity,"
            "wildlife, conservation*, endangered, recycl*, greenhouse, global warming, fossil fuel*,"
            "wind farm*, solar power, sustainab*, ecosystem*, habitat*, extinction, green energy, ozone,"
            "plastic waste, nature reserve*"
        ),
    ),
    Topic(
        "health",
        "medtop:07000000",
        "health",
        _terms(
            "health*, hospital*, virus*, disease*, outbreak*, vaccin*, patient*, medic*, epidemic*,"
            "pandemic*, infect*, doctor*, covid*, coronavirus*, ebola, nhs, cancer*, diabetes, obesity,"
            "surgery, surgeon*, nurse*, clinic*, treatment*, symptom*, diagnos*, therap*, mental health,"
            "dementia, alzheimer*, flu, influenza, hiv, malaria, tuberculosis, pharmaceutical*, world health"
            " organization, smoking, illness*, heart disease, stroke*, blood pressure, drug trial*,"
            "prescription*, gp, gps, care home*, a&e, midwi*, maternal, newborn*, pregnan*, birth rate*,"
            "calorie*, nutrition*, food and drug administration, fda, centers for disease control, cdc,"
            "public health, allerg*, asthma, cholesterol, medicine*"
        ),
    ),
    Topic(
        "lifestyle",
        "medtop:10000000",
        "lifestyle and leisure",
        _terms(
            "travel*, holiday*, vacation*, touris*, recipe*, cooking, restaurant*, chef*, fashion*, dating,"
            "wedding*, hiking, hike*, gardening, beauty, cosmetic*, shopping, hotel*, cruise*, wine*,"
            "lifestyle*, fitness, yoga, hobby, hobbies, leisure, boyfriend*, girlfriend*, breakup*, dessert*,"
            "outfit*, makeup, skincare, trail*, backpack*, campsite*"
        ),
    ),
    Topic(
        "politics",
        "medtop:11000000",
        "politics",
        _terms(
            "election*, elector*, government*, parliament*, minister*, ministr*, president*, polit*, vote,"
            "votes, voter*, voting, party, parties, opposition, senat*, congress*, diplomat*, sanction*, coup,"
            "policy, policies, mp, mps, tory, tories, conservatives, labour party, liberal democrat*, lib dem*,"
            "democrat*, republican*, campaign*, cabinet, chancellor, prime minister*, legislat*, referendum*,"
            "ballot*, constituen*, manifesto*, lawmaker*, mayor*, governor*, white house, downing street,"
            "whitehall, home secretary, foreign secretary, secretary of state, treaty, treaties, summit*,"
            "nato, european union, united nations, immigration, asylum, commons, house of lords,"
            "regime*, dictator*, sovereign*, veto*, democrac*, council*, councillor*, councilor*, city hall,"
            "municipal*, statehouse, house bill*, senate bill*"
        ),
    ),
    Topic(
        "religion",
        "medtop:12000000",
        "religion",
        _terms(
            "church*, religio*, mosque*, pope, vatican, bishop*, priest*, muslim*, christian*, islam*, jewish,"
            "judaism, hindu*, buddhis*, faith*, clergy, imam*, rabbi*, synagogue*, catholic*, protestant*"
        ),
    ),
    Topic(
        "science",
        "medtop:13000000",
        "science and technology",
        _terms(
            "scientist*, scientific*, research*, laborator*, experiment*, physic*, biolog*, chemist*,"
            "genetic*, genes, dna, fossil*, dinosaur*, planet*, astronom*, telescope*, galax*, evolution*,"
            "researcher*, particle*, quantum, molecul*, neuro*, archaeolog*, spacecraft, space agency,"
            "astronaut*, nasa, species, peer-reviewed, study, studies, asteroid*, comet*,"
            "orbit*, mars, climate model*, mathematic*"
        ),
    ),
    Topic(
        "society",
        "medtop:14000000",
        "society",
        _terms(
            "poverty, homeless*, welfare, charity, charities, discrimination, racism, gender, equality,"
            "demograph*, migrant*, refugee*, social media use, families, communit*, volunteer*, civil rights,"
            "human rights, protest*, minorit*"
        ),
    ),
    Topic(
        "sport",
        "medtop:15000000",
        "sport",
        _terms(
            "match, matches, tournament*, championship*, champion*, league*, football*, soccer, olympic*,"
            "coach*, player*, goal, goals, marathon*, tennis, cup, season*, athlet*, race, races, racing,"
            "striker*, midfielder*, defender*, goalkeeper*, rugby, cricket*, golf*, boxing, boxer*, cyclist*,"
            "cycling, formula one, grand prix, wimbledon, premiership, premier league, fifa, uefa, referee*,"
            "stadium*, fixture*, wicket*, innings, test match, semi-final*, quarter-final*, medal*, sprint*,"
            "squad*, scored, club, clubs, captain*, nba, nfl, mlb, nhl, baseball, basketball, hockey, swimmer*,"
            "swimming, skier*, skiing, sport, sports, sporting, team-mate*, teammate*, world cup, six nations,"
            "halftime, half-time, injury time, penalt*, seeded, top seed*, qualifier*, grand slam*, atp, wta,"
            "athletics, sprinter*, hurdler*, world record*, red card*, yellow card*, relegat*, motorsport*,"
            "rally driver*, jockey*, racehorse*, horse racing, gymnast*, triathl*, decathl*, heptathl*,"
            "paralympi*, commonwealth games, batsman, batsmen, bowler*, scrum*, fly-half, full-back*,"
            "centre-back*, snooker"
        ),
    ),
    Topic(
        "technology",
        "medtop:13000000",
        "science and technology",
        _terms(
            "technolog*, software, internet, online, digital, artificial intelligence, ai, computer*,"
            "computing, smartphone*, phone*, mobile*, broadband, cyber*, startup*, start-up*, app, apps,"
            "website*, web, google, microsoft, apple, iphone*, ipod*, ipad*, gadget*, device*, chips,"
            "semiconductor*, robot*, video game*, gaming, games console*, console*, playstation, xbox,"
            "nintendo, browser*, e-mail*, email*, spam, hacker*, hacking, malware, data, users, download*,"
            "wireless, wi-fi, wifi, bluetooth, blog*, podcast*, search engine*, social media, facebook,"
            "twitter, tiktok, electronic*, laptop*, pc, pcs, silicon valley, microchip*, processor*, net,"
            "dvd*, high-definition, hi-tech, high-tech, tech, gigabyte*, megabyte*, broadband,"
            "telecom*, network*, file-sharing, peer-to-peer, open source, linux, windows, phishing, spyware,"
            "adware, mp3*, handheld*, consumer electronics, music player*, digital camera*, camera phone*,"
            "operating system*, hard drive*, chipmaker*, 3g, software maker*, search engine*, domain name*,"
            "virtual reality, biometric*, rfid, satellite navigation, gamer*, gameplay, game maker*,"
            "games maker*, game developer*, games developer*, software developer*, games industry,"
            "games publisher*, multiplayer, first-person shooter*, third-person"
        ),
    ),
    Topic(
        "weather",
        "medtop:17000000",
        "weather",
        _terms(
            "weather, forecast*, temperature*, rainfall, snowfall, heatwave*, heat wave*, meteorolog*, frost,"
            "rain, snow, storm*, drought*, thunderstorm*, monsoon*, heavy rain"
        ),
    ),
)
TOPICS = {t.slug: t for t in TAXONOMY}

SECOND_TOPIC_SHARE = 0.5  # of the first topic's score
MAX_TOPICS = 3
TITLE_WEIGHT = 3
LEAD_WEIGHT = 2
# Each word's weighted count saturates as term frequencies do in BM25 (tf·(k+1)/(tf+k)): a story is about
# the subject whose vocabulary it uses widely, not the one whose single word it repeats ("police" eight
# times in a story about a bill). Measured on the enrich corpus (doc/choices.md): BBC top-1 0.877 ->
# 0.893, KPCrowd 0.689 -> 0.693 over plain counts.
SATURATION = 5.0
# The confidence is the topic's share of the article's topic vocabulary times the evidence there is at
# all, total / (total + EVIDENCE): one passing mention gives a topic at 0.25, a story written in the
# subject's words near its share.
EVIDENCE = 3.0


# A node: its next letters to their nodes, and under "" the ends of the terms that stop there.
Trie = dict[str, Any]


def _trie(terms: Iterable[str]) -> Trie:
    """The terms letter by letter; "" marks where one ends, "*" when it takes any ending."""
    root: Trie = {}
    for term in sorted(terms):
        wild = term.endswith("*")
        node = root
        for ch in term[:-1] if wild else term:
            node = node.setdefault(ch, {})
        node.setdefault("", set()).add("*" if wild else "")
    return root


def _longest(node: Trie) -> int:
    return max((1 + _longest(v) if k else int("*" in v) for k, v in node.items()), default=0)


def _trie_pattern(node: Trie) -> str:
    """A regex of the trie's terms that tries the longer ones first, as an alternation of the terms
    longest first would: "court of appeal" before "court"; a plural "s" or "es" after a whole term."""
    branches = sorted(((k, v) for k, v in node.items() if k), key=lambda kv: (-_longest(kv[1]), kv[0]))
    alternatives = [re.escape(k) + _trie_pattern(v) for k, v in branches]
    ends = node.get("", set())
    if "*" in ends:
        alternatives.append(r"[\w'-]*")
    elif "" in ends:
        alternatives.append(r"(?:s|es)?")
    return "(?:" + "|".join(alternatives) + ")" if alternatives else ""


@lru_cache(maxsize=1)
def _matcher() -> re.Pattern[str]:
    # One pass over the text: a named group per topic, its terms longest first so phrases win. The terms
    # as a trie: an alternation of 844 terms is tried term by term at every word (1.4 ms a story), the
    # trie letter by letter (0.4 ms), with the same matches.
    groups = [f"(?P<{topic.slug}>" + _trie_pattern(_trie(set(topic.terms))) + ")" for topic in TAXONOMY]
    return re.compile(r"(?<![\w-])(?:" + "|".join(groups) + r")(?![\w-])")


LEAD_MIN_CHARS = 200  # the lead runs to the first line break after this many characters


def _count(text: str, weight: int, counts: dict[tuple[str, str], int]) -> None:
    for match in _matcher().finditer(text.lower()):
        slug = match.lastgroup
        if slug:
            word = match.group().removesuffix("s")  # "police" and "polices", "court" and "courts": one word
            counts[slug, word] = counts.get((slug, word), 0) + weight


def topic_scores(text: str, title: str | None = None) -> list[tuple[Topic, float]]:
    """The article's topics with their confidence (EVIDENCE), first topic first. An article that uses no
    topic's vocabulary gets none."""
    counts: dict[tuple[str, str], int] = {}
    lead_end = text.find("\n", LEAD_MIN_CHARS)
    lead_end = len(text) if lead_end < 0 else lead_end
    _count(text[:lead_end], LEAD_WEIGHT, counts)
    _count(text[lead_end:], 1, counts)
    if title:
        _count(title, TITLE_WEIGHT, counts)
    scores: dict[str, float] = {}
    for (slug, _), tf in counts.items():
        scores[slug] = scores.get(slug, 0.0) + tf * (SATURATION + 1) / (tf + SATURATION)
    if not scores:
        return []
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    top = ranked[0][1]
    total = sum(scores.values())
    evidence = total / (total + EVIDENCE)
    return [
        (TOPICS[slug], round(score / total * evidence, 3))
        for slug, score in ranked[:MAX_TOPICS]
        if score >= SECOND_TOPIC_SHARE * top
    ]
