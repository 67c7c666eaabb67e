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
    N_("Publish one TXT record 'v=spf1 <your senders> -all' (or ~all while testing)."),  # cyber check dns.spf: remediation
    N_("Publish _dmarc.<domain> TXT 'v=DMARC1; p=reject; rua=mailto:...' (quarantine as an intermediate step)."),  # cyber check dns.dmarc: remediation
    N_('Sign the zone and publish its DS record at the parent (ask the registrar).'),  # cyber check dns.dnssec: remediation
    N_('Enable STARTTLS on every MX host with a certificate for its name.'),  # cyber check mail.starttls: remediation
    N_("Publish <selector>._domainkey.<domain> TXT 'v=DKIM1; k=rsa; p=<key>' with an RSA key of 2048 bits (or k=ed25519, RFC 8463) for every selector in use."),  # cyber check mail.dkim: remediation
    N_("Publish _mta-sts.<domain> TXT 'v=STSv1; id=<1-32 letters or digits>' and the policy at https://mta-sts.<domain>/.well-known/mta-sts.txt."),  # cyber check mail.mta_sts: remediation
    N_("Publish _smtp._tls.<domain> TXT 'v=TLSRPTv1; rua=mailto:tls-reports@<domain>'."),  # cyber check mail.tls_rpt: remediation
    N_('Serve the site over HTTPS.'),  # cyber check http.https: remediation
    N_('Answer every plain-HTTP request with a 301 to https:// on the same host (nginx: return 301 https://$host$request_uri;).'),  # cyber check http.redirect: remediation
    N_('Send Strict-Transport-Security: max-age=31536000; includeSubDomains on HTTPS responses.'),  # cyber check headers.hsts: remediation
    N_("Send a Content-Security-Policy without 'unsafe-inline'/'unsafe-eval' or wildcard script sources, e.g. default-src 'self'; frame-ancestors 'none'; object-src 'none'."),  # cyber check headers.csp: remediation
    N_("Add frame-ancestors 'none' (or 'self') to the CSP, or X-Frame-Options: DENY."),  # cyber check headers.framing: remediation
    N_('Send X-Content-Type-Options: nosniff.'),  # cyber check headers.xcto: remediation
    N_('Send Referrer-Policy: strict-origin-when-cross-origin (or no-referrer).'),  # cyber check headers.referrer_policy: remediation
    N_('Send a Permissions-Policy that switches off unused features, e.g. camera=(), microphone=(), geolocation=().'),  # cyber check headers.permissions_policy: remediation
    N_('Set Secure and SameSite on every cookie and HttpOnly on session cookies.'),  # cyber check cookies.flags: remediation
    N_('Publish /.well-known/security.txt (text/plain) with a Contact: line and an Expires: date less than a year ahead; renew it before it expires.'),  # cyber check security_txt: remediation
    N_('Disable SSL 2.0/3.0 and TLS 1.0/1.1; offer TLS 1.3 and TLS 1.2 only (nginx: ssl_protocols TLSv1.2 TLSv1.3;).'),  # cyber check tls.protocols: remediation
    N_('Offer only ECDHE with AES-GCM or ChaCha20-Poly1305 in TLS 1.2, and the TLS 1.3 suites; remove RSA key exchange, CBC-SHA1, 3DES, RC4 and NULL suites.'),  # cyber check tls.ciphers: remediation
    N_('Use ECDHE with X25519, P-256 or P-384 (nginx: ssl_ecdh_curve X25519:prime256v1:secp384r1;); drop finite-field DHE below 3072 bits.'),  # cyber check tls.key_exchange: remediation
    N_('Serve the full chain (leaf and intermediates) issued by a CA the clients trust.'),  # cyber check cert.trust: remediation
    N_('Issue a certificate whose subjectAltName lists this host name.'),  # cyber check cert.hostname: remediation
    N_('Reissue the certificate with an RSA key of at least 2048 (better 3072) bits or an EC P-256 key.'),  # cyber check cert.key_size: remediation
    N_('Reissue the certificate (and intermediates) signed with SHA-256 or better.'),  # cyber check cert.signature: remediation
    N_('Renew the certificate before it expires; automate renewal (ACME, RFC 8555).'),  # cyber check cert.expiry: remediation
    N_('Enable OCSP stapling (nginx: ssl_stapling on; ssl_stapling_verify on;).'),  # cyber check tls.ocsp_stapling: remediation
    N_('National baseline for public web and mail services'),  # cyber baseline: title
    N_('TLS 1.2 or newer only (no SSL, TLS 1.0 or 1.1)'),  # cyber baseline requirement tls-versions: title
    N_('Only NCSC-NL "good" or "sufficient" cipher suites'),  # cyber baseline requirement tls-suites: title
    N_('Offer only ECDHE with AES-GCM or ChaCha20-Poly1305 in TLS 1.2, and the TLS 1.3 suites.'),  # cyber baseline requirement tls-suites: remediation
    N_('Key exchange with forward secrecy on good groups'),  # cyber baseline requirement tls-key-exchange: title
    N_('Certificate chain trusted'),  # cyber baseline requirement cert-trusted: title
    N_('Certificate matches the host name'),  # cyber baseline requirement cert-hostname: title
    N_('Certificate key RSA >= 2048 bit or EC >= 256 bit'),  # cyber baseline requirement cert-key: title
    N_('Certificate signed with SHA-256 or better'),  # cyber baseline requirement cert-signature: title
    N_('Certificate valid, and for at least 30 more days'),  # cyber baseline requirement cert-30-days: title
    N_('Renew the certificate now and automate renewal (ACME, RFC 8555).'),  # cyber baseline requirement cert-30-days: remediation
    N_('Plain HTTP redirects to HTTPS'),  # cyber baseline requirement https-redirect: title
    N_('HSTS with max-age of at least one year'),  # cyber baseline requirement hsts-one-year: title
    N_('Content-Security-Policy present'),  # cyber baseline requirement csp-present: title
    N_("Send a Content-Security-Policy, e.g. default-src 'self'; frame-ancestors 'none'; object-src 'none'."),  # cyber baseline requirement csp-present: remediation
    N_('Valid security.txt'),  # cyber baseline requirement security-txt: title
    N_('SPF record ending in -all'),  # cyber baseline requirement spf-hard-fail: title
    N_("Publish one TXT record 'v=spf1 <your senders> -all'."),  # cyber baseline requirement spf-hard-fail: remediation
    N_('DMARC policy p=reject'),  # cyber baseline requirement dmarc-reject: title
    N_("Publish _dmarc.<domain> TXT 'v=DMARC1; p=reject; rua=mailto:...'."),  # cyber baseline requirement dmarc-reject: remediation
    N_('Domain signed with DNSSEC'),  # cyber baseline requirement dnssec: title
    N_('Every MX host offers STARTTLS'),  # cyber baseline requirement mail-starttls: title
    N_('DKIM key published at every selector, RSA of at least 1024 bits'),  # cyber baseline requirement dkim-key: title
    N_("Publish <selector>._domainkey.<domain> TXT 'v=DKIM1; k=rsa; p=...' with a 2048-bit RSA key."),  # cyber baseline requirement dkim-key: remediation
    N_('MTA-STS record v=STSv1 with a valid id'),  # cyber baseline requirement mta-sts: title
    N_("Publish _mta-sts.<domain> TXT 'v=STSv1; id=20260101' and the policy file on https://mta-sts.<domain>/."),  # cyber baseline requirement mta-sts: remediation
    N_('TLS-RPT record with a report address'),  # cyber baseline requirement tls-rpt: title
    N_("Publish _smtp._tls.<domain> TXT 'v=TLSRPTv1; rua=mailto:tls-reports@<domain>'."),  # cyber baseline requirement tls-rpt: remediation
    N_("Update OpenSSL (1.0.1g or later) and replace the certificate's key, which may have leaked."),  # cyber check tls.heartbleed: remediation
    N_('Update OpenSSL (1.0.1h or later).'),  # cyber check tls.ccs_injection: remediation
    N_('Switch TLS-level compression off (OpenSSL: SSL_OP_NO_COMPRESSION, the default since 1.1.0).'),  # cyber check tls.compression: remediation
    N_('Support secure renegotiation (RFC 5746) and refuse client-initiated renegotiation (OpenSSL 3: leave SSL_OP_ALLOW_CLIENT_RENEGOTIATION unset; nginx does so).'),  # cyber check tls.renegotiation: remediation
    N_('Remove the RSA key-exchange suites (TLS_RSA_WITH_*), or update the TLS stack that leaks the padding oracle.'),  # cyber check tls.robot: remediation
    N_('Use a publicly trusted CA that embeds SCTs from independent CT logs in the certificates it issues (all public CAs do so today); reissue the certificate.'),  # cyber check cert.transparency: remediation
    N_('Publish an AAAA record for the host and serve the same site on its IPv6 address (nginx: listen [::]:443 ssl;).'),  # cyber check http.ipv6: remediation
    N_('Publish an AAAA record for every MX host and accept SMTP on that address.'),  # cyber check mail.ipv6: remediation
    N_("Sign the MX host's zone with DNSSEC and publish _25._tcp.<mx> TLSA '3 1 1 <SHA-256 of the public key>' (DANE-EE, SPKI, SHA-256); publish the next key's record before a key change."),  # cyber check mail.dane: remediation
    N_('Certificate carries SCTs from enough CT logs (publicly trusted certificates)'),  # cyber baseline requirement cert-transparency: title
    N_('A valid OCSP response stapled (certificates that name an OCSP responder)'),  # cyber baseline requirement ocsp-stapling: title
    N_('Not vulnerable to Heartbleed'),  # cyber baseline requirement tls-no-heartbleed: title
    N_('Not vulnerable to OpenSSL CCS injection'),  # cyber baseline requirement tls-no-ccs-injection: title
    N_('No TLS compression (CRIME)'),  # cyber baseline requirement tls-no-compression: title
    N_('Secure renegotiation only, no client-initiated renegotiation'),  # cyber baseline requirement tls-renegotiation: title
    N_('Not vulnerable to ROBOT'),  # cyber baseline requirement tls-no-robot: title
    N_('Web service reachable over IPv6 (AAAA record and a connection)'),  # cyber baseline requirement ipv6-web: title
    N_('Every MX host has a DANE TLSA record matching its certificate, DNSSEC-signed'),  # cyber baseline requirement mail-dane: title
    N_('Every MX host reachable over IPv6'),  # cyber baseline requirement mail-ipv6: title
    N_('GCI 2024 (5th edition)'),  # GCI edition
    N_('Role-modelling'),  # GCI tier T1
    N_('Advancing'),  # GCI tier T2
    N_('Establishing'),  # GCI tier T3
    N_('Evolving'),  # GCI tier T4
    N_('Building'),  # GCI tier T5
    N_('Legal measures'),  # GCI pillar
    N_('Technical measures'),  # GCI pillar
    N_('Organizational measures'),  # GCI pillar
    N_('Capacity development measures'),  # GCI pillar
    N_('Cooperation measures'),  # GCI pillar
    N_('pass'),  # cyber finding status
    N_('warn'),  # cyber finding status
    N_('fail'),  # cyber finding status
    N_('error'),  # cyber finding status
    N_('not applicable'),  # cyber finding status
    N_('(no organisation)'),  # cyber: services without an organisation
    N_('high'),  # cyber alert severity
    N_('medium'),  # cyber alert severity
    N_('verifier'),  # role
    N_('also verifies or rejects submitted KPI values (cannot enter values)'),  # help of role verifier
    N_("also imports KPI values and submits them; verifies other people's, not own"),  # help of role analyst
    N_('<audio> elements must have a captions track'),  # axe-core rule summary
    N_('<blink> elements are deprecated and must not be used'),  # axe-core rule summary
    N_('<dl> elements must only directly contain properly-ordered <dt> and <dd> groups, <script>, <template> or <div> elements'),  # axe-core rule summary
    N_('<dt> and <dd> elements must be contained by a <dl>'),  # axe-core rule summary
    N_('<html> element must have a lang attribute'),  # axe-core rule summary
    N_('<html> element must have a valid value for the lang attribute'),  # axe-core rule summary
    N_('<li> elements must be contained in a <ul> or <ol>'),  # axe-core rule summary
    N_('<marquee> elements are deprecated and must not be used'),  # axe-core rule summary
    N_('<object> elements must have alternative text'),  # axe-core rule summary
    N_('<svg> elements with an img role must have alternative text'),  # axe-core rule summary
    N_('<ul> and <ol> must only directly contain <li>, <script> or <template> elements'),  # axe-core rule summary
    N_('<video> elements must have captions'),  # axe-core rule summary
    N_('<video> or <audio> elements must not play automatically'),  # axe-core rule summary
    N_("ARIA attributes must be used as specified for the element's role"),  # axe-core rule summary
    N_('ARIA attributes must conform to valid names'),  # axe-core rule summary
    N_('ARIA attributes must conform to valid values'),  # axe-core rule summary
    N_('ARIA commands must have an accessible name'),  # axe-core rule summary
    N_('ARIA dialog and alertdialog nodes should have an accessible name'),  # axe-core rule summary
    N_('ARIA hidden element must not be focusable or contain focusable elements'),  # axe-core rule summary
    N_('ARIA input fields must have an accessible name'),  # axe-core rule summary
    N_('ARIA meter nodes must have an accessible name'),  # axe-core rule summary
    N_('ARIA progressbar nodes must have an accessible name'),  # axe-core rule summary
    N_('ARIA role should be appropriate for the element'),  # axe-core rule summary
    N_('ARIA roles used must conform to valid values'),  # axe-core rule summary
    N_('ARIA tab nodes must have an accessible name'),  # axe-core rule summary
    N_('ARIA toggle fields must have an accessible name'),  # axe-core rule summary
    N_('ARIA tooltip nodes must have an accessible name'),  # axe-core rule summary
    N_('ARIA treeitem nodes should have an accessible name'),  # axe-core rule summary
    N_('Active <area> elements must have alternative text'),  # axe-core rule summary
    N_('All page content should be contained by landmarks'),  # axe-core rule summary
    N_('All touch targets must be 24px large, or leave sufficient space'),  # axe-core rule summary
    N_('Alternative text of images should not be repeated as text'),  # axe-core rule summary
    N_('Aside should not be contained in another landmark'),  # axe-core rule summary
    N_('Banner landmark should not be contained in another landmark'),  # axe-core rule summary
    N_('Buttons must have discernible text'),  # axe-core rule summary
    N_('CSS Media queries must not lock display orientation'),  # axe-core rule summary
    N_('Certain ARIA roles must be contained by particular parents'),  # axe-core rule summary
    N_('Certain ARIA roles must contain particular children'),  # axe-core rule summary
    N_('Contentinfo landmark should not be contained in another landmark'),  # axe-core rule summary
    N_('Data or header cells must not be used to give caption to a data table.'),  # axe-core rule summary
    N_('Delayed refresh must not be used'),  # axe-core rule summary
    N_('Delayed refresh under 20 hours must not be used'),  # axe-core rule summary
    N_('Deprecated ARIA roles must not be used'),  # axe-core rule summary
    N_('Document should have one main landmark'),  # axe-core rule summary
    N_('Document should not have more than one banner landmark'),  # axe-core rule summary
    N_('Document should not have more than one contentinfo landmark'),  # axe-core rule summary
    N_('Document should not have more than one main landmark'),  # axe-core rule summary
    N_('Documents must have <title> element to aid in navigation'),  # axe-core rule summary
    N_('Elements in the focus order should have an appropriate role'),  # axe-core rule summary
    N_('Elements marked as presentational should be consistently ignored'),  # axe-core rule summary
    N_('Elements must have their visible text as part of their accessible name'),  # axe-core rule summary
    N_('Elements must meet enhanced color contrast ratio thresholds'),  # axe-core rule summary
    N_('Elements must meet minimum color contrast ratio thresholds'),  # axe-core rule summary
    N_('Elements must only use permitted ARIA attributes'),  # axe-core rule summary
    N_('Elements must only use supported ARIA attributes'),  # axe-core rule summary
    N_('Elements should not have tabindex greater than zero'),  # axe-core rule summary
    N_('Form elements must have labels'),  # axe-core rule summary
    N_('Form elements should have a visible label'),  # axe-core rule summary
    N_('Form field must not have multiple label elements'),  # axe-core rule summary
    N_('Frames must have a unique title attribute'),  # axe-core rule summary
    N_('Frames must have an accessible name'),  # axe-core rule summary
    N_('Frames should be tested with axe-core'),  # axe-core rule summary
    N_('Frames with focusable content must not have tabindex=-1'),  # axe-core rule summary
    N_('HTML elements with lang and xml:lang must have the same base language'),  # axe-core rule summary
    N_('Heading levels should only increase by one'),  # axe-core rule summary
    N_('Headings should not be empty'),  # axe-core rule summary
    N_('Hidden content on the page should be analyzed'),  # axe-core rule summary
    N_('IDs of active elements must be unique'),  # axe-core rule summary
    N_('IDs used in ARIA and labels must be unique'),  # axe-core rule summary
    N_('Image buttons must have alternative text'),  # axe-core rule summary
    N_('Images must have alternative text'),  # axe-core rule summary
    N_('Inline text spacing must be adjustable with custom stylesheets'),  # axe-core rule summary
    N_('Input buttons must have discernible text'),  # axe-core rule summary
    N_('Interactive controls must not be nested'),  # axe-core rule summary
    N_('Landmarks should have a unique role or role/label/title (i.e. accessible name) combination'),  # axe-core rule summary
    N_('Links must be distinguishable without relying on color'),  # axe-core rule summary
    N_('Links must have discernible text'),  # axe-core rule summary
    N_('Links with the same name must have a similar purpose'),  # axe-core rule summary
    N_('Main landmark should not be contained in another landmark'),  # axe-core rule summary
    N_('Non-empty <td> elements in larger <table> must have an associated table header'),  # axe-core rule summary
    N_('Page must have means to bypass repeated blocks'),  # axe-core rule summary
    N_('Page should contain a level-one heading'),  # axe-core rule summary
    N_('Required ARIA attributes must be provided'),  # axe-core rule summary
    N_('Scrollable region must have keyboard access'),  # axe-core rule summary
    N_('Select element must have an accessible name'),  # axe-core rule summary
    N_('Server-side image maps must not be used'),  # axe-core rule summary
    N_('Styled <p> elements must not be used as headings'),  # axe-core rule summary
    N_('Summary elements must have discernible text'),  # axe-core rule summary
    N_('Table cell headers attributes must refer to other <th> elements in the same table'),  # axe-core rule summary
    N_('Table header text should not be empty'),  # axe-core rule summary
    N_('Table headers in a data table must refer to data cells'),  # axe-core rule summary
    N_('Tables should not have the same summary and caption'),  # axe-core rule summary
    N_('The skip-link target should exist and be focusable'),  # axe-core rule summary
    N_('Users should be able to zoom and scale the text up to 500%'),  # axe-core rule summary
    N_('Zooming and scaling must not be disabled'),  # axe-core rule summary
    N_('accesskey attribute value should be unique'),  # axe-core rule summary
    N_('aria-braille attributes must have a non-braille equivalent'),  # axe-core rule summary
    N_('aria-roledescription must be on elements with a semantic role'),  # axe-core rule summary
    N_('autocomplete attribute must be used correctly'),  # axe-core rule summary
    N_('id attribute value must be unique'),  # axe-core rule summary
    N_('lang attribute must have a valid value'),  # axe-core rule summary
    N_('scope attribute should be used correctly'),  # axe-core rule summary
    N_('Fix any of the following:'),  # axe-core failure summary
    N_('Fix all of the following:'),  # axe-core failure summary
    N_('draft'),  # status of a KPI value
    N_('submitted'),  # status of a KPI value
    N_('verified'),  # status of a KPI value
    N_('rejected'),  # status of a KPI value
    N_('manual'),  # origin of a KPI value
    N_('computed'),  # origin of a KPI value
    N_('manual value'),  # action in the KPI audit log
    N_('status'),  # action in the KPI audit log
    N_('evidence'),  # action in the KPI audit log
    N_('not tagged: no structure tree (StructTreeRoot)'),  # what a linked PDF lacks
    N_('MarkInfo /Marked is not true'),  # what a linked PDF lacks
    N_('no document language (/Lang)'),  # what a linked PDF lacks
    N_('no document title'),  # what a linked PDF lacks
    N_('the viewer shows the file name: /DisplayDocTitle is not true'),  # what a linked PDF lacks
    N_('no extractable text on the first 1 page(s): an image-only scan'),  # what a linked PDF lacks
    N_('no extractable text on the first 2 page(s): an image-only scan'),  # what a linked PDF lacks
    N_('no extractable text on the first 3 page(s): an image-only scan'),  # what a linked PDF lacks
    N_('no extractable text on the first 4 page(s): an image-only scan'),  # what a linked PDF lacks
    N_('no extractable text on the first 5 page(s): an image-only scan'),  # what a linked PDF lacks
    N_('export the PDF as a tagged PDF ("Tagged PDF" / "PDF/UA" in the export dialog)'),  # what to do about a linked PDF
    N_('set the document language in the authoring tool (catalog /Lang, e.g. en, ru, be)'),  # what to do about a linked PDF
    N_('set the document title in the document properties'),  # what to do about a linked PDF
    N_('set the initial view to show the document title, not the file name (/DisplayDocTitle true)'),  # what to do about a linked PDF
    N_('publish the text itself (export from the source document, or run OCR on the scan)'),  # what to do about a linked PDF
)
