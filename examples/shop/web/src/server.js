const express = require("express");

const app = express();
const apiUrl = process.env.API_URL || "http://localhost:8000";
const port = process.env.PORT || 3000;

app.use(express.static("public"));

app.get("/health", (_req, res) => res.json({ status: "ok" }));

app.get("/api/orders", async (_req, res) => {
  const response = await fetch(`${apiUrl}/orders`);
  res.json(await response.json());
});

app.listen(port, () => console.log(`web listening on ${port}`));
