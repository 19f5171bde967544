"""One APIRouter per resource; assistant.api.app includes them all."""
