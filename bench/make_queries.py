#!/usr/bin/env python3
"""Generates bench/queries.txt: the benchmark's query set, one /v1/search query string per line.

Drawn from Reuters-21578 itself (title words and bigrams, PEOPLE and PLACES tags, the date range) with
a fixed seed, so it is reproducible: python3 bench/make_queries.py ../shared/data/reuters21578 > bench/queries.txt
Lines with only `q=` are the "plain" queries that the peers (tantivy-cli, SQLite FTS5) also run.
"""
import collections
import random
import re
import sys
import urllib.parse

STOP = set("""a an the and or not of in on at to for with by from as is are was were be been it its this that
these those he she they we i you his her their our said says say will would could should may might can
has have had do does did but if than then so such no yes up down out over under into about after before
pct mln bln dlrs cts vs inc corp co ltd reuter u s new year qtr shr net rev revs oper avg shrs note
""".split())

def stories(folder):
    for number in range(22):
        data = open(f"{folder}/reut2-{number:03d}.sgm", "rb").read().decode("latin-1")
        for story in data.split("<REUTERS ")[1:]:
            yield story

def tags(story, tag):
    match = re.search(rf"<{tag}>(.*?)</{tag}>", story, re.S)
    return re.findall(r"<D>(.*?)</D>", match.group(1)) if match else []

def main():
    folder = sys.argv[1]
    random.seed(1987)
    words, bigrams, people, places = collections.Counter(), collections.Counter(), collections.Counter(), collections.Counter()
    for story in stories(folder):
        title = re.search(r"<TITLE>(.*?)</TITLE>", story, re.S)
        if title:
            tokens = [t for t in re.findall(r"[a-z]+", title.group(1).lower())]
            content = [t for t in tokens if t not in STOP and len(t) > 2]
            words.update(content)
            bigrams.update(f"{a} {b}" for a, b in zip(tokens, tokens[1:]) if a not in STOP and b not in STOP and len(a) > 2 and len(b) > 2)
        people.update(tags(story, "PEOPLE"))
        places.update(tags(story, "PLACES"))
    top_words = [w for w, _ in words.most_common(400)]
    top_bigrams = [b for b, _ in bigrams.most_common(150)]
    top_people = [p.replace("-", " ") for p, _ in people.most_common(40)]
    top_places = [p.replace("-", " ") for p, _ in places.most_common(40) if p not in ("usa", "uk", "ussr")] + ["united states", "united kingdom"]
    lines = []
    def add(**params):
        lines.append(urllib.parse.urlencode(params))
    for word in random.sample(top_words, 90):
        add(q=word)
    for a, b in [random.sample(top_words, 2) for _ in range(40)]:
        add(q=f"{a} {b}")
    for bigram in random.sample(top_bigrams, 50):
        add(q=f'"{bigram}"')
    for _ in range(50):
        a, b = random.sample(top_words[:150], 2)
        add(q=f"{a} {random.choice(['AND', 'OR', 'AND NOT'])} {b}")
    for person in top_people:
        add(q=random.choice(top_words[:100]), person=person) if random.random() < 0.5 else add(person=person)
    for place in top_places:
        add(q=random.choice(top_words[:100]), place=place)
    for _ in range(30):
        day = random.randint(1, 28)
        month = random.choice(["03", "04", "05", "06", "07", "08", "09"])
        add(q=random.choice(top_words[:200]), **{"from": f"1987-{month}-{day:02d}", "to": f"1987-{month}-{min(day + 7, 30):02d}"})
    for _ in range(30):
        add(q=random.choice(top_words[:200]), facets="person,org,place,topic", histogram=random.choice(["day", "week", "month"]))
    for line in lines:
        print(line)

main()
