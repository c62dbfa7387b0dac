"""The words of the demo NPM: findings written for each type of place (so that a care home
for older persons is never told to end solitary confinement for juveniles), the
authorities' replies, follow-up notes, review remarks and the reasons staff give.

A finding's text is the recommendation as issued; a draft that the Double-SMART review
found not time-bound is first drafted without its deadline (`Finding.deadline`) and
reformulated with it.
"""

from __future__ import annotations

from typing import NamedTuple

from domain.values import PlaceType

# The visiting staff (caseworkers) and the head of unit, who issues the reports.
STAFF: list[tuple[str, str]] = [
    ("carla", "Carla Mendes"),
    ("anovak", "Anna Novak"),
    ("bokafor", "Ben Okafor"),
    ("clindqvist", "Cecilia Lindqvist"),
    ("dhaddad", "Dina Haddad"),
]
HEAD = ("hedda", "Hedda Lund")
AUTHORITIES: list[tuple[str, str, int, str, list[PlaceType]]] = [
    # name, kind, reply period (days), day kind, place types it is responsible for
    ("Ministry of Justice", "ministry", 30, "calendar", [PlaceType.PRISON]),
    ("Prison Service of Eldoria", "agency", 30, "working", [PlaceType.PRE_TRIAL_DETENTION]),
    (
        "Ministry of the Interior",
        "ministry",
        45,
        "calendar",
        [PlaceType.POLICE_CUSTODY, PlaceType.IMMIGRATION_DETENTION, PlaceType.OTHER],
    ),
    ("Ministry of Health", "ministry", 60, "calendar", [PlaceType.PSYCHIATRIC_INSTITUTION]),
    (
        "Ministry of Social Affairs",
        "ministry",
        30,
        "working",
        [PlaceType.SOCIAL_CARE_HOME, PlaceType.JUVENILE_INSTITUTION],
    ),
    ("Ministry of Defence", "ministry", 30, "calendar", [PlaceType.MILITARY]),
]

PLACE_NAMES: dict[PlaceType, list[str]] = {
    PlaceType.PRISON: ["Karsk Central Prison", "Veltmoor Prison", "Osten Women's Prison"],
    PlaceType.PRE_TRIAL_DETENTION: ["Aldhaven Remand Centre", "Brenna Pre-Trial Facility"],
    PlaceType.POLICE_CUSTODY: ["Aldhaven Police HQ cells", "Lirien District Police Station"],
    PlaceType.IMMIGRATION_DETENTION: ["Port Saska Immigration Centre"],
    PlaceType.PSYCHIATRIC_INSTITUTION: ["St. Orla Psychiatric Hospital", "Dunmere Forensic Ward"],
    PlaceType.SOCIAL_CARE_HOME: ["Greenfold Care Home", "Maple Hill Residential Home"],
    PlaceType.JUVENILE_INSTITUTION: ["Rivermark Youth Centre"],
    PlaceType.MILITARY: ["Fort Hallam Disciplinary Barracks"],
    PlaceType.OTHER: ["Aldhaven Airport Transit Zone"],
}
REGIONS = ["North", "Capital", "Coast", "Highlands", "South"]


class Finding(NamedTuple):
    text: str
    theme: str
    group: str  # vulnerable group or detention practice concerned
    nature: str  # one of NatureOfProblem
    deadline: str = "within six months"


def _table(block: str) -> list[Finding]:
    """Findings from a block of lines: "theme / group / nature", then the text indented."""
    findings: list[Finding] = []
    for line in block.strip("\n").splitlines():
        if not line.startswith(" "):
            theme, group, nature = (part.strip() for part in line.split(" / "))
            findings.append(Finding("", theme, group, nature))
        else:
            last = findings[-1]
            text = f"{last.text} {line.strip()}".strip()
            findings[-1] = last._replace(text=text)
    return findings


FINDINGS: dict[PlaceType, list[Finding]] = {
    PlaceType.PRISON: _table(
        """
outdoor exercise / prisoners in segregation / practices
    Ensure that every prisoner has at least one hour of outdoor exercise a day, including
    those held in the segregation unit
material conditions / all prisoners / material_conditions
    Repair the heating and ventilation of the accommodation blocks so that cells stay
    between 18 and 26 degrees all year
regime and activities / all prisoners / practices
    Offer every prisoner at least six hours of purposeful activity (work, education or
    training) on weekdays
health care / new arrivals / procedures
    Ensure a medical examination of every newly admitted prisoner within 24 hours, with a
    record of any injuries
searches / all prisoners / practices
    Stop routine strip searches on return from visits and search only on an individual risk
    assessment
hygiene / women / material_conditions
    Provide women prisoners with sanitary products free of charge and in sufficient quantity
contact with the outside world / prisoners with children / practices
    Allow at least two family visits a month, with a child-friendly visiting room
suicide prevention / new arrivals / procedures
    Put in place a suicide-prevention screening at admission and train staff to use it
complaints / all prisoners / procedures
    Ensure that complaints to the director are registered, answered in writing within 30
    days and can be made confidentially
staffing / all prisoners / material_conditions
    Recruit enough custodial staff to keep the night shift at a minimum of two officers per
    wing
"""
    ),
    PlaceType.PRE_TRIAL_DETENTION: _table(
        """
separation / pre-trial detainees / laws
    Hold remand prisoners separately from convicted prisoners
contact with the outside world / pre-trial detainees / practices
    Let remand prisoners telephone their family and lawyer within 24 hours of arrival
regime and activities / pre-trial detainees / practices
    Limit lock-up of remand prisoners to no more than 20 hours a day and offer association
    time
access to a lawyer / pre-trial detainees / material_conditions
    Provide a room where lawyers can meet their clients confidentially, out of the hearing
    of staff
information on rights / foreign nationals / procedures
    Give every remand prisoner written information on the house rules and on how to
    complain, in a language they understand
restrictions / pre-trial detainees / laws
    Review the use of restrictions on visits ordered by prosecutors and record the reason
    for each
material conditions / pre-trial detainees / material_conditions
    Install a working call system in every cell and answer calls within five minutes
suicide prevention / new arrivals / procedures
    Screen every new remand prisoner for suicide risk on the first night
"""
    ),
    PlaceType.POLICE_CUSTODY: _table(
        """
access to a lawyer / persons in police custody / laws
    Guarantee access to a lawyer from the very outset of police custody, including before
    the first questioning
information on rights / foreign nationals / procedures
    Inform every person detained by the police of their rights orally and in writing, in a
    language they understand
notification of custody / persons in police custody / procedures
    Notify a relative or other person of the detained person's choice without delay
custody records / persons in police custody / procedures
    Keep a complete custody register recording every movement, meal, visit and use of force
access to a doctor / persons in police custody / procedures
    Give detained persons access to a doctor of their choice and record every medical
    examination
material conditions / persons in police custody / material_conditions
    Fit the custody cells with natural light, a call bell and a mattress for overnight stays
restraint / persons in police custody / practices
    Stop handcuffing detained persons to fixed objects in the station corridors
interviews / persons in police custody / procedures
    Record police interviews on video and keep the recordings for at least a year
safeguards for minors / minors in police custody / laws
    Call the youth welfare office and a parent before any questioning of a minor in custody
"""
    ),
    PlaceType.IMMIGRATION_DETENTION: _table(
        """
interpretation / migrants / procedures
    Provide interpretation for medical consultations and for the hearing on detention
information on rights / migrants / procedures
    Inform detained migrants in writing, in a language they understand, of the reasons for
    their detention and how to appeal
alternatives to detention / families with children / laws
    End the detention of families with children and use alternatives to detention
contact with the outside world / migrants / practices
    Give detained migrants free access to their mobile telephones and to the internet
identification of vulnerability / victims of torture / procedures
    Screen every new arrival for signs of torture and trauma and refer them to a specialist
removal procedures / migrants / procedures
    Inform persons due for removal of the date and time at least three days in advance
legal assistance / asylum seekers / procedures
    Provide free legal advice on asylum and return in the centre at least twice a week
outdoor exercise / migrants / material_conditions
    Open the outdoor yard for at least four hours a day and furnish it with shelter and
    seating
"""
    ),
    PlaceType.PSYCHIATRIC_INSTITUTION: _table(
        """
restraint / involuntary patients / procedures
    Record every use of mechanical restraint in a central register, with its start, end,
    reason and the doctor who ordered it
restraint / involuntary patients / practices
    Ensure that a patient under mechanical restraint is continuously and directly observed
    by a member of the nursing staff
consent to treatment / involuntary patients / procedures
    Seek and record the free and informed consent of patients to treatment, and document
    every treatment given without it
legal safeguards / involuntary patients / laws
    Inform involuntary patients of their right to appeal against their placement and help
    them reach a lawyer
outdoor exercise / patients on closed wards / practices
    Give every patient access to the garden every day, including on the closed wards
treatment and activities / long-stay patients / practices
    Offer every patient an individual treatment plan with therapeutic and recreational
    activities, reviewed monthly
staff training / involuntary patients / attitudes
    Train ward staff in de-escalation techniques and record the training
restraint / involuntary patients / procedures
    Hold a debriefing with the patient after every episode of seclusion or restraint
dignity / all patients / practices
    Allow patients to keep their own clothes and personal belongings unless an individual
    risk is recorded
"""
    ),
    PlaceType.SOCIAL_CARE_HOME: _table(
        """
complaints / older persons / procedures
    Provide a confidential complaints procedure accessible to every resident and to their
    families
deprivation of liberty / older persons / practices
    Stop locking residents in their rooms at night and replace it with night checks by staff
restrictive measures / residents with dementia / procedures
    Record every use of bed rails, belts and sedating medication as a restrictive measure,
    with the consent given or the court order
medication / residents with dementia / procedures
    Review the prescription of psychotropic medication for each resident with dementia at
    least every three months
staffing / older persons / material_conditions
    Raise night staffing so that no more than 20 residents are in the care of one carer
legal safeguards / residents without legal capacity / laws
    Check that every resident who cannot consent to living in the home has a guardian or a
    court decision
outdoor access / residents with reduced mobility / practices
    Offer residents help to go outdoors every day, including those using wheelchairs
dignity / older persons / attitudes
    Respect residents' privacy during personal care and knock before entering their rooms
staff training / residents with dementia / attitudes
    Train carers in caring for residents with dementia without restraint
"""
    ),
    PlaceType.JUVENILE_INSTITUTION: _table(
        """
solitary confinement / juveniles / practices
    End the practice of solitary confinement for juveniles as a disciplinary measure
education / juveniles / practices
    Provide every young person with full-time schooling or vocational training
contact with family / juveniles / practices
    Let young people telephone their parents every day and receive visits at weekends
restraint / juveniles / practices
    Stop the use of pain-inducing restraint techniques on children
mental health care / juveniles / procedures
    Give every young person access to a psychologist within a week of arrival
information on rights / juveniles / procedures
    Inform young people of their rights and of how to complain in language suited to their
    age
separation / girls / material_conditions
    Hold girls separately from boys at night and assign female staff to the girls' unit
preparation for release / juveniles / procedures
    Prepare an individual release plan with each young person and their family three months
    before release
"""
    ),
    PlaceType.MILITARY: _table(
        """
legal safeguards / military detainees / procedures
    Inform soldiers held in the disciplinary cells of their rights and of how to appeal
    against the sanction
outdoor exercise / military detainees / practices
    Give soldiers serving disciplinary detention at least one hour outdoors each day
health care / military detainees / procedures
    Ensure a medical examination before and after every period of disciplinary detention
material conditions / military detainees / material_conditions
    Bring the disciplinary cells up to the standard of civilian prison cells, with natural
    light and a call bell
custody records / military detainees / procedures
    Keep a register of disciplinary detention with the order, its length and the officer who
    imposed it
"""
    ),
    PlaceType.OTHER: _table(
        """
access to a lawyer / persons refused entry / procedures
    Give persons refused entry and held in the transit zone access to a lawyer and to a
    telephone
material conditions / persons refused entry / material_conditions
    Provide beds, showers and hot meals to persons held overnight in the transit zone
custody records / persons refused entry / procedures
    Record the time of arrival and departure of every person held in the transit zone
interpretation / foreign nationals / procedures
    Provide interpretation when informing persons refused entry of the decision and their
    right to appeal
identification of vulnerability / unaccompanied minors / procedures
    Identify unaccompanied minors arriving at the airport and refer them at once to the
    youth welfare office
"""
    ),
}

# Urgent recommendations, made at the end of a visit for what cannot wait for the report.
URGENT: dict[PlaceType, Finding] = {
    PlaceType.PRISON: Finding(
        "Move the prisoners held in the flooded cells of block C to dry accommodation at once",
        "material conditions",
        "all prisoners",
        "material_conditions",
    ),
    PlaceType.POLICE_CUSTODY: Finding(
        "Stop holding detained persons overnight in the basement cells, which have no light, "
        "ventilation or toilet, with immediate effect",
        "material conditions",
        "persons in police custody",
        "material_conditions",
    ),
    PlaceType.IMMIGRATION_DETENTION: Finding(
        "Give the detainees on hunger strike an immediate medical assessment and daily "
        "medical monitoring",
        "health care",
        "migrants",
        "practices",
    ),
    PlaceType.PSYCHIATRIC_INSTITUTION: Finding(
        "End at once the fixation of patients for several days in a row without continuous "
        "observation by nursing staff",
        "restraint",
        "involuntary patients",
        "practices",
    ),
    PlaceType.SOCIAL_CARE_HOME: Finding(
        "Unlock the fire exits of the dementia unit immediately and keep them unlocked",
        "safety",
        "residents with dementia",
        "material_conditions",
    ),
    PlaceType.JUVENILE_INSTITUTION: Finding(
        "Return the boy held in the isolation room for more than 15 days to his group at once",
        "solitary confinement",
        "juveniles",
        "practices",
    ),
}

# Who matters for implementation, per type of place: (actor, power, interest).
STAKEHOLDERS: dict[PlaceType, list[tuple[str, str, str]]] = {
    PlaceType.PRISON: [
        ("Prison director", "high", "medium"),
        ("Prison department of the ministry", "high", "low"),
        ("Prison officers' union", "medium", "high"),
    ],
    PlaceType.PRE_TRIAL_DETENTION: [
        ("Director of the remand centre", "high", "medium"),
        ("Public prosecutor's office", "high", "low"),
    ],
    PlaceType.POLICE_CUSTODY: [
        ("Chief of police", "high", "medium"),
        ("Bar association", "low", "high"),
    ],
    PlaceType.IMMIGRATION_DETENTION: [
        ("Director of the immigration centre", "high", "medium"),
        ("Refugee council (NGO)", "low", "high"),
    ],
    PlaceType.PSYCHIATRIC_INSTITUTION: [
        ("Medical director", "high", "medium"),
        ("Patients' advocate", "low", "high"),
    ],
    PlaceType.SOCIAL_CARE_HOME: [
        ("Care home manager", "high", "medium"),
        ("Municipal social services", "medium", "low"),
        ("Residents' family council", "low", "high"),
    ],
    PlaceType.JUVENILE_INSTITUTION: [
        ("Director of the youth centre", "high", "medium"),
        ("Children's ombudsperson", "medium", "high"),
    ],
    PlaceType.MILITARY: [("Base commander", "high", "low")],
    PlaceType.OTHER: [("Border police command at the airport", "high", "low")],
}

# The authority's reply, by position; {place} is the place's name.
RESPONSES: dict[str, list[str]] = {
    "accepted": [
        "The ministry accepts the recommendation. The management of {place} has been "
        "instructed to implement it and will report on progress.",
        "Accepted. Funds have been set aside in next year's budget for {place}.",
        "The recommendation is accepted; an action plan for {place} is attached to this letter.",
        "Accepted. A circular to all establishments, including {place}, is being prepared.",
    ],
    "partially_accepted": [
        "Accepted in part: {place} will change its practice, but the building works "
        "recommended cannot be funded this year.",
        "The ministry agrees with the aim but will implement it gradually, starting with {place}.",
    ],
    "rejected": [
        "The ministry does not accept the recommendation: the current practice at {place} "
        "complies with the law in force.",
        "Rejected. The ministry considers the measure unnecessary given the security "
        "situation at {place}.",
    ],
    "noted": [
        "The ministry takes note of the recommendation and will consider it in the "
        "forthcoming reform.",
        "Noted. The question will be discussed with the management of {place}.",
    ],
}

FOLLOW_UP_NOTES: dict[str, list[str]] = {
    "letter": [
        "Wrote to the management of {place} asking for evidence of the measures taken.",
        "Letter to the ministry asking for the timetable of the works at {place}.",
    ],
    "meeting": [
        "Meeting with the management of {place}: the measures are under way, evidence "
        "promised for the next quarter.",
        "Round table with the ministry and the director of {place} on the outstanding "
        "recommendations.",
    ],
    "action_plan": ["Received the action plan for {place}; milestones entered in the file."],
    "working_group": ["Joined the ministry's working group on the issue; first meeting held."],
    "parliament": [
        "Raised in the NPM's annual report to parliament and at the hearing of the "
        "human rights committee."
    ],
}

# What a follow-up visit found, by implementation status.
VISIT_FINDINGS: dict[str, str] = {
    "implemented": "Follow-up visit to {place}: the measure is in place and working.",
    "partially_implemented": "Follow-up visit to {place}: the measure is only partly in place.",
    "in_progress": "Follow-up visit to {place}: work has started but is not finished.",
    "not_implemented": "Follow-up visit to {place}: nothing has changed.",
}

REVIEW_NOTES: dict[str, str] = {
    "time_bound": "No deadline: say by when the authority should act.",
    "measurable": "How will we know it is done? Name the register or record to check.",
    "argued": "Refer to the findings in the report that justify it.",
    "root_cause_responsive": "Addresses the symptom; the cause is understaffing.",
}

WITHDRAWAL_REASONS = [
    "The unit concerned was closed down after the visit.",
    "Superseded by the thematic recommendation on the same subject.",
    "The finding was based on a misunderstanding of the register, corrected by the "
    "director's letter.",
]

EXTENSION_REASONS = [
    "The ministry asked for more time to consult the regional directorates.",
    "The authority asked for a month more because of the change of minister.",
    "Extension granted: the establishment's director was replaced after the visit.",
]

CLOSE_REASONS: dict[str, str] = {
    "implemented": "Implemented, as verified at the follow-up visit.",
    "rejected": "Rejected twice by the ministry; raised in the annual report, no further "
    "action this cycle.",
}
