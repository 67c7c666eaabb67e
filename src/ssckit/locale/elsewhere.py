# ruff: noqa: E501
"""Texts shown on pages that come from code which does not mark them for translation itself
(core's roles and quality grades, module faces, the DigComp names, navigation of modules whose
code is not yet marked). Never imported: ``python -m ssckit.core.i18n extract`` reads it."""

from ssckit.core.i18n import N_

TEXTS = (
    N_('U4SSC KPIs'),  # title of the kpi module
    N_('The 91 U4SSC key performance indicators (ITU-T Y.4903): imported or computed, scored against targets, compared and reported.'),  # summary of the kpi module
    N_('5G coverage'),  # title of the radio module
    N_('5G coverage planning over terrain (ITU-R P.1812, 3GPP TR 38.901, P.2108, P.2109): population, area and school coverage, and a site plan.'),  # summary of the radio module
    N_('EMF safety'),  # title of the emf module
    N_('EMF exposure compliance of every antenna site (ITU-T K.52/K.70/K.100, ICNIRP) and a public exposure map.'),  # summary of the emf module
    N_('Smart School'),  # title of the school module
    N_('Classroom sensors and connectivity streamed in (MQTT, HTTP): indoor climate (EN 16798-1, BB101), energy and uptime per school.'),  # summary of the school module
    N_('Digital skills'),  # title of the skills module
    N_('Digital-skills assessment: adaptive tests for people and weighted survey statistics by population group.'),  # summary of the skills module
    N_('Cyber posture'),  # title of the cyber module
    N_('Cyber compliance'),  # navigation entry of the cyber module's compliance page
    N_("Security posture of the city's public services (TLS, HTTP headers, DNS, mail) and the GCI self-assessment."),  # summary of the cyber module
    N_('Accessibility'),  # title of the access module
    N_("WCAG 2.2 audits of the city's web pages in a real browser, and captions for training videos."),  # summary of the access module
    N_('viewer'),  # role
    N_('analyst'),  # role
    N_('admin'),  # role
    N_('reads pages that show sensitive detail'),  # help of role viewer
    N_('also imports KPI values'),  # help of role analyst
    N_('also manages users'),  # help of role admin
    N_('official statistics or verified measurement'),  # quality grade A
    N_('computed by ssckit from measured inputs'),  # quality grade B
    N_('estimate, survey-based or proxy'),  # quality grade C
    N_('synthetic sample data'),  # quality grade D
    N_('Digital skills certificate'),  # skills certificate: title
    N_('This certifies the result of an adaptive digital-skills test based on the European Digital Competence Framework (DigComp 2.2).'),  # skills certificate: intro
    N_('Pseudonymous id'),  # skills certificate: id
    N_('Date of the test'),  # skills certificate: date
    N_('Issued by'),  # skills certificate: place
    N_('Overall level'),  # skills certificate: overall
    N_('Competence area'),  # skills certificate: area
    N_('Level'),  # skills certificate: level
    N_('Questions answered'),  # skills certificate: questions
    N_('(uncertain: few answers)'),  # skills certificate: uncertain
    N_('Levels 1-8 and their groups follow DigComp 2.2. The questions have provisional difficulty values that are not yet calibrated on a population sample, so this is an indication of skills, not a formal qualification. The certificate carries no name: the pseudonymous id links it to the stored result.'),  # skills certificate: note
    N_('True'),  # skills words: true
    N_('False'),  # skills words: false
    N_("I don't know"),  # skills words: dont_know
    N_('level'),  # skills words: level
    N_('uncertain: few answers'),  # skills words: uncertain
    N_('Information and data literacy'),  # DigComp area
    N_('Communication and collaboration'),  # DigComp area
    N_('Digital content creation'),  # DigComp area
    N_('Safety'),  # DigComp area
    N_('Problem solving'),  # DigComp area
    N_('Foundation'),  # DigComp proficiency group
    N_('Intermediate'),  # DigComp proficiency group
    N_('Advanced'),  # DigComp proficiency group
    N_('Highly specialised'),  # DigComp proficiency group
    N_('Home'),  # web shell
    N_("city"),  # the whole city as the entity of a value
    N_("school"),  # a school as the entity of a value
    N_("synthetic sample data (ssckit demo)"),  # source reference of the sample values
    N_('Account'),  # web shell
    N_('Users'),  # web shell
    N_('smart'),  # web shell
    N_('sustainable'),  # web shell
    N_('structural'),  # web shell
    N_('log in or send an API token (Authorization: Bearer ...)'),  # web shell
    N_("the form's security token is missing or out of date; reload the page and try again"),  # web shell
    N_('Not Found'),  # web shell
    N_('Too many failed logins for this user from your address. Try again in {minutes} minutes.'),  # web shell
    N_('Wrong user name or password.'),  # web shell
    N_('You cannot remove yourself.'),  # web shell
    N_('User {name} ({role}) added.'),  # web shell
    N_('User {name} removed.'),  # web shell
)
