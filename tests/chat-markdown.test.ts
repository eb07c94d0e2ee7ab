/**
 * The Chat page's Markdown rendering (markdown-it + highlight.js), outside the browser: answers are
 * untrusted, so raw HTML stays text, only http(s) and mailto links survive, and images are not
 * fetched. The browser suite (e2e-chat) checks the same in Chromium.
 */
import { describe, expect, test } from 'bun:test';
import { renderMarkdown } from '../client/src/components/render-markdown.ts';

describe('renderMarkdown', () => {
  test('a fenced block of a known language is highlighted inside <pre><code>', () => {
    const html = renderMarkdown('Look:\n\n```ts\nconst answer: number = 42; // why\n```\n');
    expect(html).toContain('<pre><code class="language-ts">');
    expect(html).toContain('<span class="hljs-keyword">const</span>');
    expect(html).toContain('<span class="hljs-comment">// why</span>');
  });

  test('an unknown language or none is escaped plain code', () => {
    const html = renderMarkdown('```klingon\n<b>qapla</b>\n```\n\n```\na < b\n```');
    expect(html).toContain('<pre><code class="language-klingon">&lt;b&gt;qapla&lt;/b&gt;\n</code></pre>');
    expect(html).toContain('<pre><code>a &lt; b\n</code></pre>');
  });

  test('raw HTML is text, inline and in blocks', () => {
    const html = renderMarkdown('Hi <img src=x onerror="alert(1)"> there\n\n<script>alert(2)</script>\n\n<div onclick="x()">d</div>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<div');
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
    expect(html).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
  });

  test('only http(s) and mailto links become links, opened apart from the admin', () => {
    const html = renderMarkdown('[a](https://example.com/x) [b](javascript:alert(1)) [c](JaVaScRiPt:alert(1)) [d](data:text/html,x) [e](mailto:a@b.c) <javascript:alert(3)> see https://example.org/y');
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    expect(hrefs).toEqual(['https://example.com/x', 'mailto:a@b.c', 'https://example.org/y']);
    expect(html.toLowerCase()).not.toContain('href="javascript');
    expect(html).toContain('target="_blank"');
    expect(html).toContain('rel="noopener noreferrer nofollow"');
  });

  test('images are not rendered, so displaying an answer fetches nothing', () => {
    const html = renderMarkdown('![tracker](https://example.com/pixel.gif)');
    expect(html).not.toContain('<img');
  });

  test('an unfinished stream renders without throwing (open fence, half a table)', () => {
    expect(renderMarkdown('```python\ndef f(')).toContain('<pre><code class="language-python">');
    expect(() => renderMarkdown('| a | b |\n| - |')).not.toThrow();
  });
});
