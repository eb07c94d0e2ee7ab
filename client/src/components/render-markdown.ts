/**
 * Markdown to HTML for model answers, with markdown-it and highlight.js (core, a few common
 * languages, so the bundle stays small). The text comes from a model, so it is untrusted: raw HTML is
 * escaped (`html: false`), links may only be http(s) or mailto, and images are not rendered, so an
 * answer cannot make the admin's browser fetch a URL by being displayed.
 */
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import MarkdownIt from 'markdown-it';

// Each language brings its aliases (js, ts, py, sh, html, yml, golang, rs, c++ …).
const LANGUAGES = { bash, c, cpp, css, diff, go, java, javascript, json, markdown, python, rust, shell, sql, typescript, xml, yaml };
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);

const SAFE_LINK = /^(https?:\/\/|mailto:)/i;

const md = new MarkdownIt({
  html: false,
  linkify: true,
  breaks: false,
  highlight(code, lang) {
    const name = lang.trim().split(/\s+/)[0] ?? '';
    if (!name || !hljs.getLanguage(name)) return ''; // markdown-it escapes it as plain code
    return hljs.highlight(code, { language: name, ignoreIllegals: true }).value;
  },
});
md.disable('image');
// Called with the normalised URL of every link, autolinks and linkified text included.
md.validateLink = (url) => SAFE_LINK.test(url.trim());

const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const token = tokens[idx]!;
  token.attrSet('target', '_blank');
  token.attrSet('rel', 'noopener noreferrer nofollow');
  return defaultLinkOpen(tokens, idx, options, env, self);
};

/** Safe HTML for a model's Markdown answer (complete or still streaming). */
export function renderMarkdown(text: string): string {
  return md.render(text);
}
