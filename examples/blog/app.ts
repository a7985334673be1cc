// The blog example's endpoints: path parameters parsed as numbers, query parameters, a header,
// a cookie and a validated JSON body. `keel gen` turns these types into the schema Rust checks
// every request against, so each handler only ever sees valid input.

import { APIError, api, type Cookie, type Header, type Int, type IsEmail, type Max, type MaxLen, type Min, type MinLen } from "keel";

interface Author {
  name: string & MinLen<1> & MaxLen<80>;
  email: string & IsEmail;
}

export interface Post {
  id: number;
  title: string;
  body: string;
  author: Author;
  tags: string[];
  publishedAt: Date;
}

interface ListPosts {
  /** Query parameters: on a GET, every field that is not a path parameter, header or cookie. */
  tag?: string;
  limit?: Int & Min<1> & Max<100>;
}

interface GetPost {
  id: Int & Min<1>;
  requestId?: Header<"x-request-id">;
}

interface NewPost {
  title: string & MinLen<1> & MaxLen<120>;
  body: string & MaxLen<10_000>;
  author: Author;
  tags?: (string & MinLen<1> & MaxLen<20>)[] & MaxLen<5>;
  publishAt?: Date;
  /** Who is writing: a session cookie, required. */
  session: Cookie<"session">;
}

interface DeletePost {
  id: Int & Min<1>;
  authorization: Header<"authorization">;
}

const posts = new Map<number, Post>();
let nextId = 1;

export const listPosts = api({ method: "GET", path: "/posts" }, async (req: ListPosts): Promise<{ posts: Post[] }> => {
  const { tag, limit = 20 } = req;
  const found = [...posts.values()].filter((post) => tag === undefined || post.tags.includes(tag));
  return { posts: found.slice(0, limit) };
});

export const getPost = api({ method: "GET", path: "/posts/:id" }, async (req: GetPost, ctx): Promise<Post> => {
  if (req.requestId !== undefined) ctx.setHeader("x-request-id", req.requestId);
  const post = posts.get(req.id);
  if (post === undefined) throw new APIError("not_found", `there is no post ${req.id}`, { id: req.id });
  return post;
});

export const createPost = api({ method: "POST", path: "/posts" }, async (req: NewPost, ctx): Promise<Post> => {
  if (!req.session.startsWith("s-")) throw new APIError("unauthenticated", "sign in first");
  const post: Post = {
    id: nextId++,
    title: req.title,
    body: req.body,
    author: { name: req.author.name, email: req.author.email },
    tags: req.tags ?? [],
    publishedAt: req.publishAt ?? new Date(),
  };
  posts.set(post.id, post);
  ctx.status = 201;
  ctx.setHeader("location", `/posts/${post.id}`);
  return post;
});

export const deletePost = api({ method: "DELETE", path: "/posts/:id" }, async (req: DeletePost): Promise<void> => {
  if (req.authorization !== "Bearer admin") throw new APIError("permission_denied", "only the admin deletes posts");
  if (!posts.delete(req.id)) throw new APIError("not_found", `there is no post ${req.id}`, { id: req.id });
});
