import { createEffect, createSignal, on, onCleanup, untrack } from 'solid-js';
import { renderMarkdown } from './render-markdown.ts';

/**
 * A model's answer as Markdown. While it streams, the text changes on every token: it is rendered in
 * an animation frame, at most one render per frame (fewer for long answers), and the last change is
 * always rendered.
 */
export function Markdown(props: { text: string; class?: string }) {
  const [html, setHtml] = createSignal(renderMarkdown(untrack(() => props.text)));
  let frame = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let cost = 0;
  let renderedAt = 0;

  const render = () => {
    frame = 0;
    const start = performance.now();
    setHtml(renderMarkdown(props.text)); // the DOM is updated within this call, so `cost` includes it
    renderedAt = performance.now();
    cost = renderedAt - start;
  };

  createEffect(on(() => props.text, () => {
    if (frame !== 0 || timer !== undefined) return;
    // A long answer takes a while to render (~10 ms for 5,000 tokens with code): leave the page at
    // least twice that long between two renders, so that scrolling and typing stay smooth.
    const wait = renderedAt + 2 * cost - performance.now();
    if (wait <= 0) frame = requestAnimationFrame(render);
    else timer = setTimeout(() => {
      timer = undefined;
      frame = requestAnimationFrame(render);
    }, wait);
  }, { defer: true }));

  onCleanup(() => {
    cancelAnimationFrame(frame);
    clearTimeout(timer);
  });
  // renderMarkdown escapes raw HTML and drops unsafe links, so its output may be set as HTML.
  return <div class={`markdown ${props.class ?? ''}`} innerHTML={html()} />;
}
