// A small typed client over the types openapi-typescript generates from Lede's
// OpenAPI document (written next to this file as lede.d.ts by the test). It
// must type-check: if a response's schema were empty, the fields below would
// be `unknown` and tsc would refuse them.
import type { components, operations } from "./lede";

type Schemas = components["schemas"];
type Json<Op extends keyof operations, Status extends number = 200> =
  operations[Op]["responses"] extends Record<Status, { content: { "application/json": infer Body } }>
    ? Body
    : never;

export interface LedeOptions {
  baseUrl: string;
  key?: string;
}

async function call<T>(options: LedeOptions, path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (options.key) headers.set("Authorization", `Bearer ${options.key}`);
  const response = await fetch(`${options.baseUrl}${path}`, { ...init, headers });
  if (!response.ok) {
    const problem = (await response.json()) as Schemas["Problem"];
    throw new Error(`${problem.type}: ${problem.detail ?? problem.title}`);
  }
  return (await response.json()) as T;
}

export async function newestSlugs(options: LedeOptions): Promise<string[]> {
  const page = await call<Json<"listArticles">>(options, "/v1/articles?limit=5");
  const next: string | null = page.meta.next_cursor;
  void next;
  return page.data.map((article) => article.slug);
}

export async function headline(options: LedeOptions, ref: string): Promise<string> {
  const article = await call<Json<"getArticle">>(options, `/v1/articles/${ref}`);
  if ("body_html" in article && article.body_html !== undefined && article.body_html !== null) {
    const names: string[] = (article.entities ?? []).map((mention) => mention.entity.name);
    return `${article.title ?? article.slug} (${names.join(", ")})`;
  }
  return article.slug;
}

export async function searchTitles(options: LedeOptions, q: string): Promise<string[]> {
  const page = await call<Json<"search">>(options, `/v1/search?q=${encodeURIComponent(q)}`);
  const total: number = page.meta.total;
  const named: string[] = page.meta.entities.map((entity) => entity.slug);
  void total;
  void named;
  return page.data.map((hit) => `${hit.score}: ${hit.highlights.title}`);
}

export async function topTags(options: LedeOptions): Promise<Array<[string, number]>> {
  const page = await call<Json<"listTags">>(options, "/v1/tags");
  return page.data.map((tag) => [tag.slug, tag.article_count]);
}

export async function createStory(
  options: LedeOptions,
  story: Schemas["ArticleCreate"],
): Promise<Schemas["ArticleRead"]> {
  return call<Json<"createArticle", 201>>(options, "/v1/articles", {
    method: "POST",
    headers: { "Content-Type": "application/json", "Idempotency-Key": crypto.randomUUID() },
    body: JSON.stringify(story),
  });
}

export async function retitle(
  options: LedeOptions,
  article: Schemas["ArticleRead"],
  title: string,
): Promise<number> {
  const patch: Schemas["ArticleUpdate"] = { title };
  const updated = await call<Json<"updateArticle">>(options, `/v1/articles/${article.id}`, {
    method: "PATCH",
    headers: { "Content-Type": "application/json", "If-Match": `"${article.id}-${article.version}"` },
    body: JSON.stringify(patch),
  });
  return updated.version;
}

export async function coOccurring(options: LedeOptions, entity: string): Promise<string[]> {
  const page = await call<Json<"listRelatedEntities">>(options, `/v1/entities/${entity}/related`);
  return page.data.map((related) => `${related.entity.name} × ${related.count}`);
}
