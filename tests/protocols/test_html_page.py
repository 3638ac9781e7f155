from hypothesis import given
from hypothesis import strategies as st

from cyberbasics.protocols.html_page import insecure_resources, read_html

PAGE = """<!doctype html><html><head>
<meta name="generator" content="WordPress 6.4.2">
<meta http-equiv="Content-Security-Policy" content="default-src 'self'">
<link rel="stylesheet" href="http://cdn.example/site.css">
<link rel="icon" href="http://cdn.example/favicon.ico">
<script src="https://cdn.example/app.js"></script>
<script src="http://cdn.example/old.js"></script>
</head><body><img src="http://img.example/a.png"><form action="http://shop.example/pay">
<iframe src="//video.example/embed"></iframe></body></html>"""


def test_reads_meta_tags_and_resources():
    page = read_html(PAGE)
    assert page.meta_csp == ("default-src 'self'",)
    assert page.generators == ("WordPress 6.4.2",)
    insecure = {(r.tag, r.kind) for r in insecure_resources(page)}
    assert insecure == {("link", "active"), ("script", "active"), ("img", "passive"),
                        ("form", "active")}


def test_broken_html_gives_what_can_be_read():
    page = read_html('<meta name=generator content="Joomla! 3.9"><script src=http://x/a.js')
    assert page.generators == ("Joomla! 3.9",)


@given(st.text(max_size=2000))
def test_never_raises(text):
    read_html(text)


def test_hostile_pages_are_read_in_linear_time():
    import time

    for chunk in ("<a", "</", "<?", "<meta ", '<img src="', "<!--"):
        page = chunk * (512 * 1024 // len(chunk))
        started = time.process_time()
        read_html(page)
        assert time.process_time() - started < 2.0, chunk


def test_comments_are_skipped_and_entities_decoded():
    page = read_html('<!-- <script src="http://x/a.js"></script> -->'
                     '<script src="http://y/b.js?a=1&amp;b=2"></script>')
    assert [r.url for r in page.resources] == ["http://y/b.js?a=1&b=2"]


def test_srcset_candidates_are_resources():
    page = read_html('<img src="/a.png" srcset="http://cdn.example/a-2x.png 2x, '
                     '/a-3x.png 3x"><picture><source srcset="http://cdn.example/b.webp">')
    insecure = [r.url for r in insecure_resources(page)]
    assert insecure == ["http://cdn.example/a-2x.png", "http://cdn.example/b.webp"]


def test_a_plain_http_base_makes_relative_resources_insecure():
    page = read_html('<base href="http://shop.example/"><script src="app.js"></script>'
                     '<img src="https://cdn.example/x.png"><img src="//cdn.example/y.png">')
    insecure = insecure_resources(page)
    assert [(r.tag, r.kind) for r in insecure] == [("script", "active")]
    assert "app.js" in insecure[0].url and page.base == "http://shop.example/"
    assert insecure_resources(read_html('<base href="/"><script src="a.js">')) == []
