"""Real secrets and personal data of each kind the PII step redacts, in varied forms: the pre-check gates must let
every one through (a gate narrowed to three-letter e-mail endings once let ``bob@example.de`` pass unredacted)."""

POSITIVES = [
    # e-mail addresses: two-letter, listed and long endings, sub-domains, tags, quoted local parts, punycode
    'mail = "jane.roe@gmail.com"',
    "# maintainer: bob@example.de",
    "contact ana.lopez@correo.gob.mx for access",
    "alerts go to ops@status.cloud",
    "AUTHOR_EMAIL = 'k.tanaka@lab.example.info'",
    "<a href='mailto:root@eu-west-1.mail.example.org'>",
    "j.roe+git@mail.example.co.uk",
    'To: <"jane roe"@example.org>',
    'reply = ""j.doe"@example.com"',
    "u@xn--80ak6aa92e.com",
    # IP addresses: IPv4, IPv6 compressed and in full
    "server 8.8.8.8 answers",
    'addr = "2a00:1450:4001:81b::200e"',
    "dns 2001:4860:4860::8888",
    "peer 2606:4700:0:0:0:0:6810:85e5 up",
    # credentials in URLs and assigned to password-like and key-like names
    'url = "https://bob:pa55word@git.example.net/x"',
    "redis://default:9xYt2LmQ@cache.example.com:6379/0",
    'password = "hunter2"',
    "DB_PASSWORD: 'Tr0ub4dor&3'",
    'self.passwd = "letmein!"',
    'api_key = "a8F3kd92LmQ0zX7pR4tY6wE1"',
    '{"client_secret": "Zq8vN2kLp0Xw7RtY4sMb"}',
    # tokens of each kind
    'aws_key = "AKIAIOSFODNN7EXAMPLE"',
    "ASIAY34FZKBOKMUTVV7A",
    'GH = "ghp_0123456789abcdefghijABCDEFGHIJ012345"',
    "github_pat_11ABCDEFG0123456789abc_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ",
    'slack = "xoxb-1234567890-abcdefghijkl"',
    "xoxp-9876543210-0123456789-abcdefABCDEF",
    "maps = 'AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY'",
    "stripe.api_key = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'",
    "rk_test_51H8xYzAbCdEfGhIj",
    # private keys of each kind
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n-----END OPENSSH PRIVATE KEY-----",
    "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI\n-----END EC PRIVATE KEY-----",
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBAD\n-----END PRIVATE KEY-----",
    "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHzBJ\n-----END ENCRYPTED PRIVATE KEY-----",
    "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF\n-----END PGP PRIVATE KEY BLOCK-----",
]

# Unquoted values in configuration files (YAML here): redacted only for the configuration languages.
CONFIG_POSITIVES = [
    "database:\n  password: hunter2\n",
    "  - db_pass: S3cr3t!x\n",
    "export API_TOKEN=a8F3kd92LmQ0zX7pR4tY6wE1\n",
    "ENV SECRET_KEY=9fK2mL0qZx7Rt4Yw8Pv3\n",
]
