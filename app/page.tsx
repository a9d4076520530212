export default function Home() {
  return <main>lvs-control</main>;
}
