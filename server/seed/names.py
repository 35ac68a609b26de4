"""The words a seeded network is made of: people's names, fields of practice with their skills,
roles and topics, places, and the phrases posts and paths are written from.

Data only. Everything is plain ASCII where it becomes an identifier (handles, slugs); display
names keep their accents. Links point at example.org (RFC 2606), never at a real site.
"""

from __future__ import annotations

from typing import NamedTuple


class Field(NamedTuple):
    """A field of practice: the skills it holds, the roles people in it have, and the topics
    its communities of practice are named after."""

    name: str
    skills: tuple[str, ...]
    roles: tuple[str, ...]
    topics: tuple[tuple[str, str], ...]
    """(topic, the skill it is about): a community's name and its first skill."""


FIELDS: tuple[Field, ...] = (
    Field(
        "data",
        ("sql", "python", "statistics", "data visualisation", "machine learning",
         "data engineering", "spreadsheets", "experiment design", "forecasting"),
        ("Data analyst", "Data engineer", "Data scientist", "Analytics lead", "BI developer"),
        (("SQL", "sql"), ("Data Visualisation", "data visualisation"),
         ("Machine Learning", "machine learning"), ("Statistics", "statistics"),
         ("Python for Data", "python"), ("Data Engineering", "data engineering"),
         ("Forecasting", "forecasting")),
    ),
    Field(
        "web",
        ("javascript", "typescript", "css", "html", "accessibility", "react", "vue",
         "web performance", "api design"),
        ("Frontend developer", "Full-stack developer", "Web developer", "Frontend lead"),
        (("JavaScript", "javascript"), ("TypeScript", "typescript"), ("CSS", "css"),
         ("Web Accessibility", "accessibility"), ("React", "react"),
         ("Web Performance", "web performance"), ("API Design", "api design")),
    ),
    Field(
        "ops",
        ("linux", "bash", "kubernetes", "terraform", "observability", "incident response",
         "networking", "continuous delivery", "postgresql", "security"),
        ("Site reliability engineer", "Platform engineer", "DevOps engineer",
         "Systems administrator", "Security engineer"),
        (("Kubernetes", "kubernetes"), ("Linux", "linux"), ("Observability", "observability"),
         ("Incident Response", "incident response"), ("Infrastructure as Code", "terraform"),
         ("PostgreSQL", "postgresql"), ("Security", "security")),
    ),
    Field(
        "design",
        ("ux research", "interaction design", "typography", "prototyping", "design systems",
         "illustration", "usability testing"),
        ("Product designer", "UX researcher", "Visual designer", "Design lead"),
        (("UX Research", "ux research"), ("Design Systems", "design systems"),
         ("Typography", "typography"), ("Prototyping", "prototyping"),
         ("Illustration", "illustration"), ("Interaction Design", "interaction design")),
    ),
    Field(
        "management",
        ("coaching", "roadmapping", "hiring", "facilitation", "okrs",
         "stakeholder management", "budgeting", "mentoring"),
        ("Engineering manager", "Team lead", "Head of people", "Programme manager"),
        (("Engineering Management", "roadmapping"), ("Coaching", "coaching"),
         ("Facilitation", "facilitation"), ("Hiring", "hiring"), ("Leadership", "mentoring")),
    ),
    Field(
        "writing",
        ("technical writing", "editing", "public speaking", "storytelling", "documentation",
         "copywriting"),
        ("Technical writer", "Editor", "Developer advocate", "Content designer"),
        (("Technical Writing", "technical writing"), ("Public Speaking", "public speaking"),
         ("Documentation", "documentation"), ("Storytelling", "storytelling")),
    ),
    Field(
        "teaching",
        ("curriculum design", "instructional design", "assessment", "e-learning",
         "workshop design", "learning analytics"),
        ("Instructional designer", "Teacher", "Learning designer", "Trainer"),
        (("Instructional Design", "instructional design"),
         ("Curriculum Design", "curriculum design"), ("E-learning", "e-learning"),
         ("Workshops", "workshop design")),
    ),
    Field(
        "product",
        ("product discovery", "user interviews", "prioritisation", "product analytics",
         "pricing"),
        ("Product manager", "Product owner", "Growth lead"),
        (("Product Discovery", "product discovery"),
         ("Product Analytics", "product analytics"), ("Pricing", "pricing")),
    ),
)  # fmt: skip

SKILL_TITLES: dict[str, str] = {
    "sql": "SQL",
    "css": "CSS",
    "html": "HTML",
    "okrs": "OKRs",
    "api design": "API design",
    "ux research": "UX research",
    "postgresql": "PostgreSQL",
    "javascript": "JavaScript",
    "typescript": "TypeScript",
    "react": "React",
    "vue": "Vue",
    "linux": "Linux",
    "kubernetes": "Kubernetes",
    "terraform": "Terraform",
    "python": "Python",
}
"""How a skill is written at the start of a title, where plain capitalising would be wrong."""

FIRST_NAMES: tuple[str, ...] = (
    "Ada", "Aisha", "Akira", "Alejandro", "Amara", "Amelia", "Ana", "André", "Anika", "Arjun",
    "Astrid", "Beatriz", "Benjamin", "Bilal", "Camille", "Carlos", "Chen", "Chiara", "Chloé",
    "Daniel", "Dara", "David", "Diego", "Elena", "Elif", "Emeka", "Emma", "Eva", "Fatima",
    "Felix", "Femi", "Fiona", "Francesca", "Gabriel", "Grace", "Hana", "Hannah", "Hassan",
    "Ines", "Ingrid", "Isaac", "Ivan", "Jamal", "Jana", "Javier", "Jin", "João", "Jonas",
    "Julia", "Kai", "Kamala", "Karim", "Katarzyna", "Kenji", "Kofi", "Lars", "Laura", "Layla",
    "Leila", "Liam", "Lina", "Lucas", "Lucía", "Maja", "Malik", "Marco", "Maria", "Marta",
    "Mateo", "Maya", "Mehmet", "Mei", "Mia", "Mohammed", "Nadia", "Naomi", "Nia", "Niko",
    "Noah", "Nora", "Olga", "Omar", "Oscar", "Pablo", "Paula", "Pedro", "Priya", "Rafael",
    "Rahul", "Rania", "Ravi", "Rosa", "Ruth", "Sam", "Samir", "Sara", "Sebastián", "Sofia",
    "Sven", "Tariq", "Thomas", "Tomás", "Valentina", "Wei", "Yara", "Yusuf", "Zainab", "Zoe",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    "Abebe", "Adeyemi", "Ahmed", "Andersen", "Bakker", "Banerjee", "Becker", "Bianchi",
    "Boateng", "Brown", "Castillo", "Chen", "Costa", "Dubois", "Eriksson", "Fernández",
    "Fischer", "García", "Gonzalez", "Gupta", "Haddad", "Hansen", "Hoffmann", "Horvat",
    "Hughes", "Ibrahim", "Ivanova", "Jansen", "Jensen", "Johansson", "Kamau", "Kaya", "Khan",
    "Kim", "Kowalski", "Kumar", "Larsen", "Lee", "Lopez", "Martin", "Mensah", "Meyer",
    "Moreau", "Müller", "Murphy", "Nakamura", "Nguyen", "Nielsen", "Novak", "Nowak",
    "Okafor", "Oliveira", "Osei", "Park", "Patel", "Pereira", "Petrov", "Popescu", "Rossi",
    "Russo", "Sato", "Schmidt", "Silva", "Singh", "Smith", "Suzuki", "Svensson", "Tanaka",
    "Torres", "Tran", "Van Dijk", "Virtanen", "Wagner", "Wang", "Weber", "Williams", "Wilson",
    "Wong", "Yamamoto", "Yilmaz", "Zhang", "Zimmermann",
)  # fmt: skip

CITIES: tuple[str, ...] = (
    "Accra", "Amsterdam", "Barcelona", "Bengaluru", "Berlin", "Bogotá", "Cape Town", "Dublin",
    "Helsinki", "Istanbul", "Lagos", "Lisbon", "London", "Lyon", "Melbourne", "Mexico City",
    "Montréal", "Nairobi", "Osaka", "Porto", "Prague", "São Paulo", "Seoul", "Singapore",
    "Stockholm", "Taipei", "Toronto", "Vienna", "Warsaw", "Zürich",
)  # fmt: skip

COMMUNITY_KINDS: tuple[str, ...] = (
    "Circle", "Guild", "Lab", "Club", "Collective", "Study Group", "Practitioners", "Community",
    "Forum", "Network", "Society", "Exchange", "Workshop", "Crew", "School",
)  # fmt: skip

COMMUNITY_QUALIFIERS: tuple[str, ...] = (
    "Beginners", "Advanced", "Remote", "Europe", "Latam", "APAC", "Africa", "Weekend",
    "Night Owls", "Open Source", "Nonprofit", "Public Sector", "Startup", "Berlin", "Lisbon",
    "Nairobi", "Toronto", "Seoul", "São Paulo", "Melbourne",
)  # fmt: skip

COMMUNITY_PURPOSES: tuple[str, ...] = (
    "A place to learn {skill} together, one small project at a time.",
    "Practitioners of {skill} sharing what works, what did not, and why.",
    "We meet every other week to review each other's {skill} work.",
    "For people moving into {skill}: questions welcome, no gatekeeping.",
    "Reading group, office hours and peer feedback on {skill} and {other}.",
)  # fmt: skip

TIL: tuple[str, ...] = (
    "Today I learned how {skill} and {other} fit together.",
    "Today I learned that most {skill} problems start with an unclear question.",
    "TIL: a short checklist makes {skill} reviews twice as fast.",
    "Small, daily {skill} practice beats one long weekend session. Three weeks in, I'm sure.",
    "Finally understood why {skill} matters for {other}.",
)  # fmt: skip

QUESTIONS: tuple[str, ...] = (
    "How do you get started with {skill} when nobody on your team has done it before?",
    "What is your favourite resource for {skill}? Books, courses, people to follow?",
    "How do you measure your own progress in {skill}?",
    "Does anyone combine {skill} with {other}? I'd love to hear how it works for you.",
    "What is one {skill} habit you wish you had started earlier?",
)  # fmt: skip

SHARES: tuple[str, ...] = (
    "Sharing my notes from this week's {skill} session:\n\n- {tip}\n- {tip2}\n\nWhat would "
    "you add?",
    "Week {week} of learning {skill}: {tip}. Next up: {other}.",
    "I wrote up what we learned from our last {skill} project. Key point: **{tip}**.",
    "A small win: I used {skill} at work for the first time today. {tip} helped a lot.",
    "Reading list for {skill}, from someone who started six months ago:\n\n1. the official "
    "guide\n2. a course on {other}\n3. {tip}",
)  # fmt: skip

REPLIES: tuple[str, ...] = (
    "Thanks for sharing, this is really useful.",
    "I had the same experience with {skill}. What helped me was {tip}.",
    "Great question! I'd start with {tip}.",
    "+1, we do this in our team too.",
    "Could you share the resource you mentioned?",
    "Interesting. Have you tried {tip}?",
    "Saving this for later. Thank you!",
    "Agreed, and {other} makes it even better.",
)  # fmt: skip

TIPS: tuple[str, ...] = (
    "writing down what you tried each day",
    "pairing with someone more experienced",
    "a small project with a real deadline",
    "reading the official documentation end to end",
    "teaching it to someone else",
    "reviewing other people's work",
    "asking for feedback early",
    "keeping a log of mistakes",
    "rebuilding an example from memory",
    "timeboxing practice to 25 minutes",
)  # fmt: skip

WORK_SAMPLES: tuple[str, ...] = (
    "a dashboard for a community garden", "a redesign of a sign-up form", "a migration plan",
    "a workshop outline", "an onboarding guide", "a small command-line tool",
    "a survey analysis", "a style guide", "an incident write-up", "a pricing experiment",
    "a retrospective format", "a reading list", "a conference talk", "a course module",
    "a research report", "an accessibility audit",
)  # fmt: skip

ARTEFACT_TITLES: tuple[str, ...] = (
    "Case study: {sample}",
    "{Skill} in practice: {sample}",
    "Notes on {skill}",
    "My {skill} checklist",
    "{Sample}, with {skill}",
)  # fmt: skip

PATH_TITLES: tuple[str, ...] = (
    "{Skill} from scratch",
    "Getting started with {skill}",
    "{Skill} in practice",
    "A month of {skill}",
    "{Skill} for busy people",
    "Level up: {skill} and {other}",
)  # fmt: skip

TEXT_STEPS: tuple[tuple[str, str], ...] = (
    ("Why {skill} matters", "Write down one situation where {skill} would have helped you."),
    ("Key ideas", "Read the summary of the key ideas of {skill} and note two questions."),
    ("Practice exercise", "Apply {skill} to a small problem of your own; keep it under an hour."),
    ("Reflect on your work", "What was harder than expected? What would you do differently?"),
    ("Share with the community", "Post what you made in the community and ask for feedback."),
    ("Pair up", "Find someone in the community and review each other's {skill} work."),
)  # fmt: skip

RESOURCE_STEPS: tuple[str, ...] = (
    "Read: {Skill} basics",
    "Watch: a talk on {skill}",
    "Course: an introduction to {skill}",
    "Read: {skill} and {other}",
    "Tutorial: your first {skill} project",
)  # fmt: skip

ENDORSEMENT_COMMENTS: tuple[str, ...] = (
    "", "", "",
    "Helped me a lot with {skill}.",
    "Explains {skill} better than anyone I know.",
    "Solid {skill} skills, shown in every project we did together.",
    "Generous with time and knowledge.",
)  # fmt: skip

JOIN_MESSAGES: tuple[str, ...] = (
    "",
    "I'd love to learn more about {skill}.",
    "I work with {skill} every day and want to learn from others.",
    "A colleague recommended this community.",
)  # fmt: skip

REFLECTIONS: tuple[str, ...] = (
    "", "", "",
    "Took longer than I expected, but worth it.",
    "The exercise made it click.",
    "I'll come back to this one.",
    "Applied this at work the same week.",
)  # fmt: skip
