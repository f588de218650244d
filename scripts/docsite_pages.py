"""Write the docs/ pages as the collection's extra docs, for antsibull-docs and the docs site.

The Markdown pages in docs/ are the one source; antsibull-docs reads extra docs only as RST in
docs/docsite/rst/, listed in docs/docsite/extra-docs.yml. This script converts each page (the
Markdown subset the pages use: headings, paragraphs, lists, tables, code blocks, inline code,
emphasis, links) and writes extra-docs.yml.

Usage: docsite_pages.py [--check]. With --check it writes nothing and fails, naming the files,
when the committed RST differs from what the Markdown gives (run it without --check to update).
"""

import re
import sys
from pathlib import Path

import yaml
from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
OUT = DOCS / "docsite" / "rst"
LABEL = "ansible_collections.azimuth.ops.docsite."
# The order of the site's Guides section; pages not named here follow in name order.
ORDER = ["provision", "tenancies", "tenancy-network", "platform-types", "platform-access", "keycloak", "caas", "event-driven",
         "execution-environment", "architecture", "development"]
UNDERLINES = "=-~^\""
LEXERS = {"yaml": "yaml+jinja", "yml": "yaml+jinja", "sh": "shell", "bash": "shell", "console": "console",
          "python": "python", "json": "json", "ini": "ini", "hcl": "text", "": "text"}


def label(page, anchor=""):
    name = page.replace("-", "_")
    return LABEL + name + ("." + anchor if anchor else "")


def slug(text):
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


class Page:
    def __init__(self, path, repository):
        self.name = path.stem
        self.source = path
        self.repository = repository
        self.slugs = {}

    def convert(self):
        tree = SyntaxTreeNode(MarkdownIt("commonmark").enable("table").parse(self.source.read_text(encoding="utf-8")))
        lines = [f".. Generated from docs/{self.name}.md by scripts/docsite_pages.py: edit that page, not this file.",
                 "", f".. _{label(self.name)}:", ""]
        lines += self.blocks(tree.children)
        while lines and not lines[-1]:
            lines.pop()
        return "\n".join(lines) + "\n"

    def blocks(self, nodes):
        lines = []
        for node in nodes:
            lines += getattr(self, "block_" + node.type)(node)
        return lines

    def block_heading(self, node):
        text = self.inline(node.children[0], plain=True)
        anchor = slug(text)
        if anchor in self.slugs:
            self.slugs[anchor] += 1
            anchor = f"{anchor}-{self.slugs[anchor]}"
        else:
            self.slugs[anchor] = 0
        level = int(node.tag[1]) - 1
        head = [] if level == 0 else [f".. _{label(self.name, anchor)}:", ""]
        return head + [text, UNDERLINES[level] * len(text), ""]

    def block_paragraph(self, node):
        return [self.inline(node.children[0]), ""]

    def block_bullet_list(self, node):
        return self.list_items(node, lambda n: "- ")

    def block_ordered_list(self, node):
        return self.list_items(node, lambda n: f"{n}. ")

    def list_items(self, node, marker):
        lines = []
        for number, item in enumerate(node.children, 1):
            body = self.blocks(item.children)
            while body and not body[-1]:
                body.pop()
            prefix = marker(number)
            lines += [(prefix if i == 0 else " " * len(prefix)) + line if line else "" for i, line in enumerate(body)]
        return lines + [""]

    def block_fence(self, node):
        lexer = LEXERS.get(node.info.strip().split(" ")[0], "text")
        return [f".. code-block:: {lexer}", ""] + ["   " + line if line else "" for line in node.content.splitlines()] + [""]

    block_code_block = block_fence

    def block_blockquote(self, node):
        return ["   " + line if line else "" for line in self.blocks(node.children)]

    def block_hr(self, node):
        return []

    def block_html_block(self, node):
        return []

    def block_table(self, node):
        rows = [row for part in node.children for row in part.children]
        lines = [".. list-table::", "   :header-rows: 1", ""]
        for row in rows:
            for i, cell in enumerate(row.children):
                text = self.inline(cell.children[0]) if cell.children else ""
                lines.append(("   * - " if i == 0 else "     - ") + text)
        return lines + [""]

    def inline(self, node, plain=False):
        out = ""
        for child in node.children:
            out = self.join(out, self.span(child, plain))
        return out

    def span(self, node, plain):
        """(text, markup): markup spans need a boundary to their neighbours."""
        kind = node.type
        if kind == "text":
            return node.content if plain else escape(node.content), False
        if kind in ("softbreak", "hardbreak"):
            return " ", False
        if kind == "code_inline":
            return (node.content, False) if plain else ("``" + node.content.strip() + "``", True)
        text = "".join(self.span(child, True)[0] for child in node.children)
        if plain:
            return text, False
        if kind == "strong":
            return "**" + text + "**", True
        if kind == "em":
            return "*" + text + "*", True
        if kind == "link":
            return self.link(text, node.attrs["href"]), True
        return escape(text), False

    def link(self, text, href):
        text = text.replace("<", "\\<").replace("`", "")
        if re.match(r"https?://", href):
            return f"`{text} <{href}>`__"
        path, _, anchor = href.partition("#")
        if path == "" or (path.endswith(".md") and "/" not in path):
            page = path[:-3] if path else self.name
            return f":ref:`{text} <{label(page, anchor)}>`"
        # a file of the repository, outside docs/
        target = (Path("docs") / path).as_posix()
        target = re.sub(r"^docs/\.\./", "", target)
        return f"`{text} <{self.repository}/blob/main/{target}>`__"

    @staticmethod
    def join(out, piece):
        text, markup = piece
        if not text:
            return out
        if markup and out and not re.search(r"[\s(\"'\[{</:-]$", out):
            out += "\\ "
        elif out.endswith(("``", "**", "*", "`__", "`")) and re.match(r"[\w(]", text) and not out.endswith("\\ "):
            out += "\\ "
        return out + text


def escape(text):
    text = text.replace("\\", "\\\\")
    text = re.sub(r"([*`|])", r"\\\1", text)
    return re.sub(r"(?<=\w)_(?=\W|$)", r"\\_", text)


def extra_docs(names):
    return ("---\n# Generated by scripts/docsite_pages.py from the pages in docs/.\n"
            + "sections:\n  - title: Guides\n    toctree:\n" + "".join(f"      - {name}\n" for name in names))


def main(argv):
    check = "--check" in argv
    repository = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))["repository"]
    pages = sorted(DOCS.glob("*.md"), key=lambda p: (ORDER.index(p.stem) if p.stem in ORDER else len(ORDER), p.stem))
    wanted = {OUT / f"{page.stem}.rst": Page(page, repository).convert() for page in pages}
    wanted[DOCS / "docsite" / "extra-docs.yml"] = extra_docs([page.stem for page in pages])
    stale = [path for path, text in wanted.items()
             if not path.exists() or path.read_text(encoding="utf-8") != text]
    extra = [path for path in OUT.glob("*.rst") if path not in wanted] if OUT.exists() else []
    if check:
        for path in stale + extra:
            print(f"{path.relative_to(ROOT)}: not what docs/ gives; run python scripts/docsite_pages.py")
        return 1 if stale or extra else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for path in stale:
        path.write_text(wanted[path], encoding="utf-8")
    for path in extra:
        path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
