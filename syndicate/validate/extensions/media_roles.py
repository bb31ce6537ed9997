"""The role codes of the European Broadcasting Union (its classification scheme
ebu_RoleCodeCS), which Media RSS names for media:credit role under the default scheme
urn:ebu: https://www.rssboard.org/media-rss"""

from __future__ import annotations

# In lower case, as Media RSS writes roles; with 'artist', 'performer' and the parts of
# other compound roles, which the spec's own examples use.
EBU_ROLES = frozenset(
    role.strip()
    for role in """
    actor, adaptor, anchor person, animal trainer, animator, announcer, armourer,
    art director, artist/performer, artist, performer, assistant camera,
    assistant chief lighting technician, assistant director, assistant producer,
    assistant visual editor, author, broadcast assistant, broadcast journalist,
    camera operator, carpenter, casting, causeur, chief lighting technician, choir,
    choreographer, clapper loader, commentary or commentator, commissioning broadcaster,
    composer, computer programmer, conductor, consultant, continuity checker, correspondent,
    costume designer, dancer, dialogue coach, director, director of photography,
    distribution company, draughtsman, dresser, dubber, editor/producer, editor, ensemble,
    executive producer, expert, fight director, floor manager, focus puller, foley artist,
    foley editor, foley mixer, graphic assistant, graphic designer, greensman, grip,
    hairdresser, illustrator, interviewed guest, interviewer, key character, key grip,
    key talents, leadman, librettist, lighting director, lighting technician,
    location manager, lyricist, make up artist, manufacturer, matte artist, music arranger,
    music group, musician, news reader, orchestra, participant, photographer, post,
    producer, production assistant, production company, production department,
    production manager, production secretary, programme production researcher,
    property manager, publishing company, puppeteer, pyrotechnician, reporter, rigger,
    runner, scenario, scenic operative, script supervisor, second assistant camera,
    second assistant director, second unit director, set designer, set dresser,
    sign language, singer, sound designer, sound mixer, sound recordist, special effects,
    stunts, subtitles, technical director, term, translation, transportation manager,
    treatment/programme proposal, treatment, treatment proposal, programme proposal,
    vision mixer, visual editor, visual effects, wardrobe, witness
    """.split(",")  # noqa: SIM905 (a list literal of 130 quoted names reads worse)
)
